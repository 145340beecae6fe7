import COpenCC
import Foundation

/// Text after normalisation, with a way back: `origin[i]` is the offset (in Unicode scalars) in
/// the original text of the scalar that produced `scalars[i]`; `origin[scalars.count]` is the
/// original's length. Offsets are in scalars, not bytes, so editors can highlight with them.
public struct NormalizedText: Sendable {
    public var scalars: [Unicode.Scalar]
    public var origin: [Int]

    public var string: String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}

/// NFKC-style compatibility folding (full-width to half-width and the like), Latin case folding,
/// and traditional-to-simplified folding, scalar by scalar so that offsets survive.
///
/// Traditional-to-simplified folding uses OpenCC's t2s tables, applied per character: OpenCC's
/// phrase rules would change text lengths and break the offset map, and for search what matters
/// is that 國際 and 国际 become the same characters, which the character table does.
public struct Normalizer: Sendable {
    /// Simplified form of each code point in the CJK blocks (0 = unchanged).
    private let hanTable: [UInt32]
    private static let hanBase: UInt32 = 0x3400
    private static let hanEnd: UInt32 = 0x9FFF
    public let foldsTraditional: Bool

    public init(foldTraditional: Bool = true, openCCConfig: String = "/usr/share/opencc/t2s.json") throws {
        foldsTraditional = foldTraditional
        guard foldTraditional else {
            hanTable = []
            return
        }
        hanTable = try Self.buildTable(config: openCCConfig)
    }

    /// Converts every CJK character once, each on its own line so no phrase rule spans two.
    private static func buildTable(config: String) throws -> [UInt32] {
        guard FileManager.default.fileExists(atPath: config) else {
            throw AnalyzerError("\(config): OpenCC configuration not found (install libopencc-dev / opencc data)")
        }
        let converter = opencc_open(config)
        guard let converter, converter != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw AnalyzerError("\(config): OpenCC cannot open it: \(String(cString: opencc_error()))")
        }
        defer { opencc_close(converter) }
        var input = String.UnicodeScalarView()
        for value in hanBase...hanEnd {
            if let scalar = Unicode.Scalar(value) { input.append(scalar) }
            input.append("\n")
        }
        let source = String(input)
        guard let converted = opencc_convert_utf8(converter, source, source.utf8.count) else {
            throw AnalyzerError("\(config): OpenCC conversion failed: \(String(cString: opencc_error()))")
        }
        defer { opencc_convert_utf8_free(converted) }
        let output = String(cString: converted)
        var table = [UInt32](repeating: 0, count: Int(hanEnd - hanBase + 1))
        for (i, line) in output.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where i < table.count {
            let scalars = line.unicodeScalars
            // Only one-to-one replacements: anything else keeps the original character.
            if scalars.count == 1, let s = scalars.first, s.value != hanBase + UInt32(i) { table[i] = s.value }
        }
        return table
    }

    public func normalize(_ text: String) -> NormalizedText {
        var scalars: [Unicode.Scalar] = []
        var origin: [Int] = []
        scalars.reserveCapacity(text.unicodeScalars.count)
        origin.reserveCapacity(text.unicodeScalars.count + 1)
        var offset = 0
        for scalar in text.unicodeScalars {
            append(scalar, at: offset, to: &scalars, &origin)
            offset += 1
        }
        origin.append(offset)
        return NormalizedText(scalars: scalars, origin: origin)
    }

    @inline(__always)
    private func append(_ scalar: Unicode.Scalar, at offset: Int, to scalars: inout [Unicode.Scalar], _ origin: inout [Int]) {
        let v = scalar.value
        if v < 0x80 {
            // ASCII: fold case; control characters (NUL included) become spaces.
            if v >= 0x41 && v <= 0x5A, let lower = Unicode.Scalar(v + 32) {
                scalars.append(lower)
            } else if v < 0x20 || v == 0x7F {
                scalars.append(" ")
            } else {
                scalars.append(scalar)
            }
            origin.append(offset)
            return
        }
        if v >= Self.hanBase && v <= Self.hanEnd {
            let mapped = foldsTraditional ? hanTable[Int(v - Self.hanBase)] : 0
            scalars.append(mapped != 0 ? (Unicode.Scalar(mapped) ?? scalar) : scalar)
            origin.append(offset)
            return
        }
        if v >= 0xFF01 && v <= 0xFF5E, let half = Unicode.Scalar(v - 0xFEE0) {
            // Full-width ASCII.
            append(half, at: offset, to: &scalars, &origin)
            return
        }
        if v == 0x3000 || scalar.properties.isWhitespace {
            scalars.append(" ")
            origin.append(offset)
            return
        }
        if scalar.properties.changesWhenNFKCCaseFolded {
            // Rare: compatibility forms, ligatures, other scripts' capitals.
            let folded = String(scalar).precomposedStringWithCompatibilityMapping.lowercased()
            for s in folded.unicodeScalars {
                if s.value >= Self.hanBase && s.value <= Self.hanEnd, foldsTraditional {
                    let mapped = hanTable[Int(s.value - Self.hanBase)]
                    scalars.append(mapped != 0 ? (Unicode.Scalar(mapped) ?? s) : s)
                } else {
                    scalars.append(s)
                }
                origin.append(offset)
            }
            return
        }
        scalars.append(scalar)
        origin.append(offset)
    }
}

public struct AnalyzerError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
