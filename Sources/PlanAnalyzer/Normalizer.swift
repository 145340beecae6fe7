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
    /// Every code point of the Basic Multilingual Plane, normalised once: the low 21 bits are the
    /// scalar it becomes, bits 24-26 its ``Analyzer/Class``, and ``complex`` marks the few that
    /// become several scalars (or need NFKC), which take the slow path. Asking Unicode properties
    /// per character (for every Chinese punctuation mark) was a tenth of the analyzer's time.
    let bmpTable: [UInt32]
    static let complex: UInt32 = 1 << 31
    static let classShift: UInt32 = 24

    public init(foldTraditional: Bool = true, openCCConfig: String = "/usr/share/opencc/t2s.json") throws {
        foldsTraditional = foldTraditional
        hanTable = foldTraditional ? try Self.buildTable(config: openCCConfig) : []
        bmpTable = Self.buildBMPTable(hanTable: hanTable, foldsTraditional: foldTraditional)
    }

    private static func buildBMPTable(hanTable: [UInt32], foldsTraditional: Bool) -> [UInt32] {
        var table = [UInt32](repeating: complex, count: 0x10000)
        var scalars: [Unicode.Scalar] = []
        var origin: [Int] = []
        let probe = Normalizer(hanTable: hanTable, foldsTraditional: foldsTraditional)
        for value in 0..<UInt32(0x10000) {
            guard let scalar = Unicode.Scalar(value) else { continue }  // surrogates never occur
            if value >= 0x80, !(value >= hanBase && value <= hanEnd), !(value >= 0xFF01 && value <= 0xFF5E),
               value != 0x3000, !scalar.properties.isWhitespace, scalar.properties.changesWhenNFKCCaseFolded {
                continue  // complex: normalised by `append` itself
            }
            scalars.removeAll(keepingCapacity: true)
            origin.removeAll(keepingCapacity: true)
            probe.append(scalar, at: 0, to: &scalars, &origin)
            guard scalars.count == 1, let out = scalars.first else { continue }
            table[Int(value)] = out.value | (UInt32(Analyzer.classify(out).rawValue) << classShift)
        }
        return table
    }

    /// Only for building `bmpTable` with the scalar-by-scalar rules.
    private init(hanTable: [UInt32], foldsTraditional: Bool) {
        self.hanTable = hanTable
        self.foldsTraditional = foldsTraditional
        bmpTable = []
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
        var buffer = NormalizedBuffer()
        normalize(text, into: &buffer)
        // Values come from valid scalars (the text's own or the tables'), so none is dropped.
        return NormalizedText(scalars: buffer.scalars.compactMap(Unicode.Scalar.init), origin: buffer.origin)
    }

    /// Normalises `text` into `buffer` (emptied first): scalars as integers with their classes,
    /// read straight from the UTF-8 bytes through `bmpTable`.
    func normalize(_ text: String, into buffer: inout NormalizedBuffer) {
        buffer.removeAll()
        var text = text
        text.withUTF8 { utf8 in
            buffer.reserveCapacity(utf8.count + 1)
            bmpTable.withUnsafeBufferPointer { table in
                var i = 0
                var offset = 0
                let n = utf8.count
                while i < n {
                    // Hand decoding: a String's bytes are always valid UTF-8.
                    let b0 = UInt32(utf8[i])
                    var v: UInt32
                    if b0 < 0x80 {
                        v = b0; i += 1
                    } else if b0 < 0xE0 {
                        v = (b0 & 0x1F) << 6 | UInt32(utf8[i + 1] & 0x3F); i += 2
                    } else if b0 < 0xF0 {
                        v = (b0 & 0x0F) << 12 | UInt32(utf8[i + 1] & 0x3F) << 6 | UInt32(utf8[i + 2] & 0x3F); i += 3
                    } else {
                        v = (b0 & 0x07) << 18 | UInt32(utf8[i + 1] & 0x3F) << 12 | UInt32(utf8[i + 2] & 0x3F) << 6
                            | UInt32(utf8[i + 3] & 0x3F)
                        i += 4
                    }
                    let entry = v < 0x10000 ? table[Int(v)] : Self.complex
                    if entry & Self.complex == 0 {
                        buffer.append(entry & 0x1F_FFFF, UInt8(truncatingIfNeeded: entry >> Self.classShift), offset)
                    } else if let scalar = Unicode.Scalar(v) {
                        appendSlowly(scalar, at: offset, to: &buffer)
                    }
                    offset += 1
                }
                buffer.origin.append(offset)
            }
        }
    }

    /// The rare characters outside the table (or marked complex in it), by the scalar rules.
    private func appendSlowly(_ scalar: Unicode.Scalar, at offset: Int, to buffer: inout NormalizedBuffer) {
        var scalars: [Unicode.Scalar] = []
        var origin: [Int] = []
        append(scalar, at: offset, to: &scalars, &origin)
        for (s, o) in zip(scalars, origin) { buffer.append(s.value, Analyzer.classify(s).rawValue, o) }
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

/// Normalised text as the analyzer scans it: scalar values, each one's ``Analyzer/Class``, and
/// the origin map of ``NormalizedText`` (one more offset than scalars). Reused across calls.
struct NormalizedBuffer {
    var scalars: [UInt32] = []
    var classes: [UInt8] = []
    var origin: [Int] = []

    mutating func removeAll() {
        scalars.removeAll(keepingCapacity: true)
        classes.removeAll(keepingCapacity: true)
        origin.removeAll(keepingCapacity: true)
    }

    mutating func reserveCapacity(_ n: Int) {
        scalars.reserveCapacity(n)
        classes.reserveCapacity(n)
        origin.reserveCapacity(n + 1)
    }

    @inline(__always)
    mutating func append(_ scalar: UInt32, _ kind: UInt8, _ offset: Int) {
        scalars.append(scalar)
        classes.append(kind)
        origin.append(offset)
    }
}

public struct AnalyzerError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
