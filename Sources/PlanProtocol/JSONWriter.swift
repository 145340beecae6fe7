import Foundation

/// Writes JSON straight into bytes, for the responses the daemon sends most (search results,
/// errors). Foundation's JSONEncoder builds a tree of boxed values and sorts every object's
/// keys by string comparison before writing: that was ~9% of the daemon's time per search, more
/// than the rest of the request handling. The output is byte for byte what
/// `Response.encoder` (sorted keys, slashes unescaped) produces, so the wire format does not
/// change; the tests compare the two on tricky strings and numbers.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// False once a value JSON cannot carry (NaN, ±infinity) was asked for: the caller then
    /// falls back to JSONEncoder, which reports the error as it always has.
    public private(set) var valid = true

    public init(capacity: Int = 1024) { bytes.reserveCapacity(capacity) }

    @inline(__always) mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inline(__always) mutating func byte(_ b: UInt8) { bytes.append(b) }

    /// `"key":` for a key that needs no escaping (the protocol's own snake_case names).
    @inline(__always) mutating func key(_ s: StaticString) {
        bytes.append(UInt8(ascii: "\""))
        raw(s)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// A JSON string with JSONEncoder's escapes: `"` and `\`, the short forms \b \f \n \r \t,
    /// other control characters as \u00XX; everything else (U+2028, emoji, `/`) as is.
    public mutating func string(_ s: String) {
        var s = s
        bytes.append(UInt8(ascii: "\""))
        s.withUTF8 { utf8 in
            var start = 0
            for i in 0..<utf8.count {
                let b = utf8[i]
                guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
                // Copy the run of plain bytes before the one that needs escaping in one go.
                if start < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i])) }
                start = i + 1
                bytes.append(UInt8(ascii: "\\"))
                switch b {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(b)
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                default:
                    raw("u00")
                    bytes.append(Self.hex[Int(b >> 4)])
                    bytes.append(Self.hex[Int(b & 0x0F)])
                }
            }
            if start < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func int(_ value: Int) {
        if value == 0 {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        // Digits into a small stack buffer, least significant first, then copied reversed.
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var n = 0
            while magnitude > 0 {
                digits[n] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                n += 1
            }
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            while n > 0 {
                n -= 1
                bytes.append(digits[n])
            }
        }
    }

    /// As JSONEncoder writes a Double: Swift's shortest round-tripping form, without a trailing
    /// ".0". NaN and infinities are not JSON: they mark the writer invalid.
    public mutating func double(_ value: Double) {
        guard value.isFinite else {
            valid = false
            bytes.append(UInt8(ascii: "0"))
            return
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    public mutating func bool(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

    public mutating func strings(_ list: [String]) {
        bytes.append(UInt8(ascii: "["))
        for (i, s) in list.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            string(s)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Gives up: the caller falls back to JSONEncoder.
    mutating func fail() { valid = false }

    /// Bytes that are already a JSON value (written by JSONEncoder).
    mutating func json(_ data: Data) { bytes.append(contentsOf: data) }

    mutating func requestID(_ id: RequestID) {
        switch id {
        case let .string(s): string(s)
        // Verbatim: the scanner checked that the text is a JSON number.
        case let .number(text): bytes.append(contentsOf: text.utf8)
        case .null: raw("null")
        }
    }
}

extension SearchHit {
    /// Members in JSONEncoder's sorted-key order; nil optionals left out, as encodeIfPresent does.
    func write(to w: inout JSONWriter) {
        if let copies {
            w.key("copies")
            w.byte(UInt8(ascii: "["))
            for (i, copy) in copies.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.byte(UInt8(ascii: "{"))
                w.key("doc"); w.string(copy.doc)
                w.byte(UInt8(ascii: ",")); w.key("file"); w.string(copy.file)
                w.byte(UInt8(ascii: ",")); w.key("id"); w.string(copy.id)
                w.byte(UInt8(ascii: ",")); w.key("line"); w.int(copy.line)
                w.byte(UInt8(ascii: "}"))
            }
            w.byte(UInt8(ascii: "]"))
            w.byte(UInt8(ascii: ","))
        }
        w.key("doc"); w.string(doc)
        w.byte(UInt8(ascii: ",")); w.key("end_line"); w.int(endLine)
        w.byte(UInt8(ascii: ",")); w.key("file"); w.string(file)
        w.byte(UInt8(ascii: ",")); w.key("heading"); w.strings(heading)
        w.byte(UInt8(ascii: ",")); w.key("highlights")
        w.byte(UInt8(ascii: "["))
        for (i, pair) in highlights.enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.byte(UInt8(ascii: "["))
            for (j, n) in pair.enumerated() {
                if j > 0 { w.byte(UInt8(ascii: ",")) }
                w.int(n)
            }
            w.byte(UInt8(ascii: "]"))
        }
        w.byte(UInt8(ascii: "]"))
        w.byte(UInt8(ascii: ",")); w.key("id"); w.string(id)
        w.byte(UInt8(ascii: ",")); w.key("kind"); w.string(kind)
        w.byte(UInt8(ascii: ",")); w.key("line"); w.int(line)
        if let missing { w.byte(UInt8(ascii: ",")); w.key("missing"); w.strings(missing) }
        if let para { w.byte(UInt8(ascii: ",")); w.key("para"); w.string(para) }
        w.byte(UInt8(ascii: ",")); w.key("rank"); w.int(rank)
        w.byte(UInt8(ascii: ",")); w.key("score"); w.double(score)
        w.byte(UInt8(ascii: ",")); w.key("snippet"); w.string(snippet)
        if let text { w.byte(UInt8(ascii: ",")); w.key("text"); w.string(text) }
        w.byte(UInt8(ascii: ",")); w.key("title"); w.string(title)
    }
}

extension SearchResult {
    func write(to w: inout JSONWriter) {
        w.key("exact"); w.bool(exact)
        w.byte(UInt8(ascii: ",")); w.key("hits")
        w.byte(UInt8(ascii: "["))
        for (i, hit) in hits.enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.byte(UInt8(ascii: "{"))
            hit.write(to: &w)
            w.byte(UInt8(ascii: "}"))
        }
        w.byte(UInt8(ascii: "]"))
        w.byte(UInt8(ascii: ",")); w.key("missing"); w.strings(missing)
        if let missingShards { w.byte(UInt8(ascii: ",")); w.key("missing_shards"); w.strings(missingShards) }
        if let partial { w.byte(UInt8(ascii: ",")); w.key("partial"); w.bool(partial) }
        w.byte(UInt8(ascii: ",")); w.key("suggestions")
        if suggestions.isEmpty {
            w.raw("{}")
        } else if let data = try? Response.encoder.encode(suggestions) {
            // Rare (only for words that match nothing), and its keys are the user's words:
            // JSONEncoder sorts those by its own collation, so it writes this member itself.
            w.json(data)
        } else {
            w.fail()
        }
        w.byte(UInt8(ascii: ",")); w.key("took_ms"); w.double(tookMs)
        w.byte(UInt8(ascii: ",")); w.key("total"); w.int(total)
    }
}
