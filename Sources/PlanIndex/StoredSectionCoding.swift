/// StoredSection's compact binary form, the data of every indexed section. JSON took a seventh
/// of the daemon's time under load (decoding ten hits per search); this is a few copies.
/// Layout: a version byte, then strings as varint length + UTF-8 and numbers as varints.
extension StoredSection {
    static let codingVersion: UInt8 = 1

    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.bytes.append(Self.codingVersion)
        let s = section
        w.string(s.id); w.string(s.document); w.string(s.kind.rawValue); w.string(s.kindName)
        w.strings(s.heading); w.strings(s.headingTitles)
        w.string(s.paragraph ?? ""); w.int(s.paragraph == nil ? 0 : 1)
        w.ints(s.lines); w.ints(s.lineStarts)
        w.int(s.startOffset); w.int(s.endOffset); w.int(s.ordinal)
        w.string(s.text); w.string(title); w.string(file)
        return w.bytes
    }

    /// The section id alone (it is stored first): for when a hit's id is all that is needed.
    static func sectionID(decoding bytes: [UInt8]) throws -> String {
        var r = ByteReader(bytes: bytes)
        guard try r.byte() == Self.codingVersion else { throw IndexError("a section stored by another PlanSearch version; reindex") }
        return try r.string()
    }

    /// Where a section is (its id, document, first line and file), read without building the
    /// rest: a hit lists its folded copies by where they are, and on 20 copies of the corpus
    /// every hit has 19, each of which was decoded whole (its text and line tables) for this.
    /// (One run on 20 copies showed no difference in latency: it is work saved, not time shown.)
    static func location(decoding bytes: [UInt8]) throws -> (id: String, document: String, firstLine: Int, file: String) {
        var r = ByteReader(bytes: bytes)
        guard try r.byte() == Self.codingVersion else { throw IndexError("a section stored by another PlanSearch version; reindex") }
        let id = try r.string(), document = try r.string()
        try r.skipString(); try r.skipString()  // kind, kind name
        try r.skipStrings(); try r.skipStrings()  // heading, heading titles
        try r.skipString(); _ = try r.int()  // paragraph
        let lineCount = try r.int()
        guard lineCount >= 0, lineCount <= bytes.count else { throw ByteReader.damaged }
        let firstLine = lineCount > 0 ? try r.int() : 0
        for _ in 1..<max(1, lineCount) { _ = try r.int() }
        try r.skipInts()  // line starts
        for _ in 0..<3 { _ = try r.int() }  // start, end, ordinal
        try r.skipString(); try r.skipString()  // text, title
        return (id, document, firstLine, try r.string())
    }

    public init(decoding bytes: [UInt8]) throws {
        var r = ByteReader(bytes: bytes)
        guard try r.byte() == Self.codingVersion else { throw IndexError("a section stored by another PlanSearch version; reindex") }
        let id = try r.string(), document = try r.string()
        guard let kind = Section.Kind(rawValue: try r.string()) else { throw IndexError("a stored section has an unknown kind") }
        let kindName = try r.string()
        let heading = try r.strings(), headingTitles = try r.strings()
        let paragraph = try r.string()
        let hasParagraph = try r.int() == 1
        let lines = try r.ints(), lineStarts = try r.ints()
        let start = try r.int(), end = try r.int(), ordinal = try r.int()
        let text = try r.string()
        let section = Section(id: id, document: document, kind: kind, kindName: kindName, heading: heading,
                              headingTitles: headingTitles, paragraph: hasParagraph ? paragraph : nil, lines: lines,
                              lineStarts: lineStarts, startOffset: start, endOffset: end, text: text, ordinal: ordinal)
        self.init(section: section, title: try r.string(), file: try r.string())
    }
}

struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func int(_ value: Int) {
        var v = UInt64(bitPattern: Int64(value))
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func string(_ s: String) {
        int(s.utf8.count)
        bytes.append(contentsOf: s.utf8)
    }

    mutating func strings(_ list: [String]) {
        int(list.count)
        for s in list { string(s) }
    }

    mutating func ints(_ list: [Int]) {
        int(list.count)
        for v in list { int(v) }
    }
}

struct ByteReader {
    let bytes: [UInt8]
    var at = 0

    static let damaged = IndexError("a stored section is damaged; reindex the document")

    mutating func byte() throws -> UInt8 {
        guard at < bytes.count else { throw Self.damaged }
        defer { at += 1 }
        return bytes[at]
    }

    mutating func int() throws -> Int {
        var value: UInt64 = 0, shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw Self.damaged }
            value |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { break }
            shift += 7
        }
        return Int(Int64(bitPattern: value))
    }

    mutating func string() throws -> String {
        let n = try int()
        guard n >= 0, n <= bytes.count - at else { throw Self.damaged }  // (at + n could overflow)
        defer { at += n }
        return String(decoding: bytes[at..<(at + n)], as: UTF8.self)
    }

    mutating func skipString() throws {
        let n = try int()
        guard n >= 0, n <= bytes.count - at else { throw Self.damaged }
        at += n
    }

    mutating func skipStrings() throws {
        let n = try int()
        guard n >= 0, n <= bytes.count else { throw Self.damaged }
        for _ in 0..<n { try skipString() }
    }

    mutating func skipInts() throws {
        let n = try int()
        guard n >= 0, n <= bytes.count else { throw Self.damaged }
        for _ in 0..<n { _ = try int() }
    }

    mutating func strings() throws -> [String] {
        let n = try int()
        guard n >= 0, n <= bytes.count else { throw Self.damaged }
        return try (0..<n).map { _ in try string() }
    }

    mutating func ints() throws -> [Int] {
        let n = try int()
        guard n >= 0, n <= bytes.count else { throw Self.damaged }
        return try (0..<n).map { _ in try int() }
    }
}
