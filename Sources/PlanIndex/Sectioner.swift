import Foundation

/// Splits a plan's text into sections following a ``Schema``. Line-oriented: each non-blank line
/// is classified (noise, heading, block start, paragraph start, continuation) and lands in
/// exactly one section; nothing is dropped, so every line can be found and jumped to.
public struct Sectioner: Sendable {
    public let schema: Schema
    /// The noise rules as few expressions as they can be (see `LinePattern.anyOf`).
    private let noise: [LinePattern]
    /// The block rules' start patterns joined, when they can be: most lines start no block, and
    /// one scan tells so (nil: try each rule).
    private let anyBlockStart: LinePattern?

    public init(schema: Schema) {
        self.schema = schema
        noise = LinePattern.anyOf(schema.noise.map(\.pattern))
        let starts = LinePattern.anyOf(schema.blocks.map(\.start))
        anyBlockStart = schema.blocks.count > 1 && starts.count == 1 ? starts[0] : nil
    }

    /// Splits `text` (the file's decoded contents). `documentID` is the path relative to the
    /// indexed root; `file` the absolute path.
    public func split(text: String, documentID: String, file: String, contentHash: String? = nil) -> SectionedDocument {
        let lines = SourceLine.split(text, noise: noise)
        var state = SplitState(schema: schema, documentID: documentID, ignoreBlankLines: ignoresBlankLines(lines),
                               anyBlockStart: anyBlockStart)
        for line in lines { state.take(line) }
        state.finish()
        let title = documentTitle(lines, fileName: (file as NSString).lastPathComponent)
        return SectionedDocument(
            id: documentID, title: title, year: documentYear(lines, title: title, fileName: (file as NSString).lastPathComponent),
            file: file, contentHash: contentHash ?? StableHash.hex(of: Array(text.utf8)),
            sections: state.sections, transcodedFrom: nil)
    }

    private func ignoresBlankLines(_ lines: [SourceLine]) -> Bool {
        switch schema.paragraphs.blankLines {
        case .ignore: return true
        case .separate: return false
        case .auto:
            // PDF extractions that put a blank line after every text line: blank lines say nothing.
            // Noise lines (URL runs) come without blank lines and the last line has no successor,
            // so neither is counted.
            var textLines = 0, followedByBlank = 0
            for (i, line) in lines.enumerated() where !line.isBlank && !line.isNoise {
                guard let next = lines[(i + 1)...].first(where: { !$0.isBlank }) else { continue }
                if next.isNoise { continue }
                textLines += 1
                if lines[i + 1].isBlank { followedByBlank += 1 }
            }
            return textLines > 0 && Double(followedByBlank) / Double(textLines) > 0.6
        }
    }

    private func documentTitle(_ lines: [SourceLine], fileName: String) -> String {
        // A title is a short line that is not a sentence, a numbered paragraph or noise.
        let candidates = lines.lazy.filter { !$0.isBlank }.prefix(schema.title.scanLines)
            .filter { line in
                let text = line.trimmed
                guard line.trimmedCount >= 2, line.trimmedCount <= schema.title.maxLength,
                      let last = text.unicodeScalars.last, !"。，,；;：:、".unicodeScalars.contains(last) else { return false }
                return !line.isNoise && schema.paragraphs.numbered?.matches(text) != true
            }
        if let pattern = schema.title.pattern, let match = candidates.first(where: { pattern.matches($0.trimmed) }) {
            return SplitState.label(match)
        }
        if let pattern = schema.title.pattern, let header = runningHeader(lines, pattern) { return header }
        if let first = candidates.first { return SplitState.label(first) }
        return (fileName as NSString).deletingPathExtension
    }

    /// A report whose cover does not name it (the UNIDO report's first lines are a foreword's
    /// byline) still names itself in its page headers: the title pattern's text beside a page
    /// number, on two pages or more (12　工发组织2020年年度报告). The most frequent such header.
    private func runningHeader(_ lines: [SourceLine], _ pattern: LinePattern) -> String? {
        var counts: [String: Int] = [:]
        for line in lines where !line.isBlank {
            guard let text = Self.withoutPageNumber(line.trimmed), text.count <= schema.title.maxLength,
                  pattern.matches(text) else { continue }
            counts[text, default: 0] += 1
        }
        return counts.filter { $0.value >= 2 }.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
    }

    /// A page header's text without its page number (12　工发组织2020年年度报告, or the number
    /// after it); nil when the line has none.
    static func withoutPageNumber(_ text: String) -> String? {
        var words = text.split(whereSeparator: \.isWhitespace)
        guard words.count >= 2 else { return nil }
        func isPageNumber(_ word: Substring) -> Bool {
            // At most three digits: 2021 年方案计划 starts with a year, not a page.
            word.count <= 3 && word.unicodeScalars.allSatisfy { ("0"..."9").contains($0) }
        }
        if isPageNumber(words[0]) { words.removeFirst() } else if isPageNumber(words[words.count - 1]) { words.removeLast() } else { return nil }
        return words.joined(separator: " ")
    }

    private func documentYear(_ lines: [SourceLine], title: String, fileName: String) -> Int? {
        guard let pattern = schema.year.pattern else { return nil }
        func year(in text: String) -> Int? {
            guard let digits = pattern.capture(1, in: text), let value = Int(digits),
                  (1900...2200).contains(value) else { return nil }
            return value
        }
        if let y = year(in: title) { return y }
        // File names seldom say 年: take the first plausible year in them.
        if let range = fileName.range(of: "(19|20)[0-9]{2}", options: .regularExpression), let y = Int(fileName[range]) {
            return y
        }
        for line in lines.prefix(schema.year.scanLines) where !line.isBlank {
            if let y = year(in: line.trimmed) { return y }
        }
        return nil
    }
}

/// One line of the source with where it stands in the file.
struct SourceLine {
    var number: Int
    var text: Substring
    /// Offset of the line's first character in the file, in Unicode scalars.
    var offset: Int
    var scalarCount: Int
    /// The text without surrounding whitespace, full-width ASCII folded to half-width, for matching.
    var trimmed: String
    /// `trimmed`'s length in characters, counted once (the heading rules' length limits asked
    /// for it per rule).
    var trimmedCount: Int
    /// Matches one of the schema's noise patterns. Matched once, when the line is made:
    /// Foundation's regular expressions convert the line to UTF-16 on every call, and the
    /// Sectioner asks up to three times per line.
    var isNoise: Bool
    /// Leading spaces (a tab counts 4, an ideographic space 2), for indentation rules.
    var indent: Int
    var isBlank: Bool { trimmed.isEmpty }

    static func split(_ text: String, noise: [LinePattern]) -> [SourceLine] {
        var lines: [SourceLine] = []
        var offset = 0
        var number = 1
        // Split by scalars: Swift's Character holds "\r\n" as one, so a CRLF file split at the
        // Character "\n" was one line (see TextLines, which drops the CR the same way).
        for raw in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = Substring(raw.last == "\r" ? raw.dropLast() : raw)
            let count = raw.count  // a CR included: offsets count every scalar of the file
            let trimmed = foldForMatching(line)
            lines.append(SourceLine(number: number, text: line, offset: offset, scalarCount: line.unicodeScalars.count,
                                    trimmed: trimmed, trimmedCount: trimmed.count,
                                    isNoise: !trimmed.isEmpty && noise.contains { $0.matches(trimmed) },
                                    indent: indentation(of: line)))
            offset += count + 1
            number += 1
        }
        if lines.last?.isBlank == true && lines.last?.text.isEmpty == true { lines.removeLast() }
        return lines
    }

    private static func indentation(of line: Substring) -> Int {
        var n = 0
        for scalar in line.unicodeScalars {
            switch scalar {
            case " ", "\u{00A0}": n += 1
            case "\t": n += 4
            case "\u{3000}": n += 2
            default: return n
            }
        }
        return n
    }

    /// Trims and folds full-width ASCII (Ｕ+FF01..FF5E) and the ideographic space, so that a
    /// pattern written with "13.2" also matches "１３．２". The section text keeps the original.
    private static func foldForMatching(_ line: Substring) -> String {
        var scalars = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in line.unicodeScalars {
            var s = scalar
            if (0xFF01...0xFF5E).contains(s.value), let half = Unicode.Scalar(s.value - 0xFEE0) { s = half }
            if s == "\r" || SplitState.isBlankScalar(s) { s = " " }
            if s == " " {
                pendingSpace = !scalars.isEmpty
                continue
            }
            if pendingSpace { scalars.append(" "); pendingSpace = false }
            scalars.append(s)
        }
        return String(scalars)
    }
}

/// The line-by-line state machine behind ``Sectioner``.
struct SplitState {
    let schema: Schema
    let documentID: String
    let ignoreBlankLines: Bool
    /// See `Sectioner.anyBlockStart`.
    let anyBlockStart: LinePattern?

    var sections: [Section] = []
    /// Heading stack: (level, label, title).
    var headings: [(level: Int, label: String, title: String)] = []
    /// Heading lines waiting for the section they introduce.
    var pending: [SourceLine] = []
    var current: Builder?
    /// A paragraph interrupted by a footnote block at a page end; resumed if text continues it.
    var suspended: Builder?
    var noiseRun: Builder?
    /// The heading whose title is expected on the next line.
    var awaitingTitle = false
    var lastNumber: String?
    var occurrences: [String: Int] = [:]

    struct Builder {
        var kind: Section.Kind
        var kindName: String
        var paragraph: String?
        var heading: [String]
        var headingTitles: [String]
        var lines: [SourceLine] = []
        var isBlock: Bool { kind == .table || kind == .footnote || kind == .figure || kind == .block }
        var blockRule: Schema.BlockRule?
        var length = 0
    }

    init(schema: Schema, documentID: String, ignoreBlankLines: Bool, anyBlockStart: LinePattern? = nil) {
        self.schema = schema
        self.documentID = documentID
        self.ignoreBlankLines = ignoreBlankLines
        self.anyBlockStart = anyBlockStart
    }

    mutating func take(_ line: SourceLine) {
        if line.isBlank {
            if !ignoreBlankLines {
                if let c = current, !c.isBlock || c.blockRule?.endsAtBlankLine == true { close() }
                suspended = nil
            }
            return
        }
        if line.isNoise {
            // Noise (URL runs, page furniture) is its own section and does not end the paragraph
            // around it: page breaks fall in the middle of sentences.
            if noiseRun == nil {
                noiseRun = Builder(kind: .noise, kindName: "noise", paragraph: nil, heading: headingLabels, headingTitles: headingTitleList)
            }
            noiseRun?.lines.append(line)
            if let c = current, c.kind == .footnote { suspendOrClose() }
            return
        }
        flushNoise()

        if awaitingTitle {
            awaitingTitle = false
            if classify(line) == .continuation, line.trimmedCount <= 80 {
                if !headings.isEmpty { headings[headings.count - 1].title = Self.label(line) }
                pending.append(line)
                return
            }
        }

        switch classify(line) {
        case let .heading(rule):
            close()
            suspended = nil
            headings.removeAll { $0.level >= rule.level }
            headings.append((rule.level, Self.label(line), ""))
            pending.append(line)
            awaitingTitle = rule.titleOnNextLine
        case let .block(rule):
            if rule.kind == "footnote" { suspendOrClose() } else { close(); suspended = nil }
            let kind = Section.Kind(rawValue: rule.kind) ?? .block
            start(Builder(kind: kind, kindName: rule.kind, paragraph: nil, heading: headingLabels,
                          headingTitles: headingTitleList, blockRule: rule), with: line)
        case let .numbered(number):
            close()
            suspended = nil
            lastNumber = number
            start(Builder(kind: .paragraph, kindName: "paragraph", paragraph: number, heading: headingLabels,
                          headingTitles: headingTitleList), with: line)
        case let .item(letter):
            close()
            suspended = nil
            let number = lastNumber.map { "\($0)(\(letter))" } ?? "(\(letter))"
            start(Builder(kind: .item, kindName: "item", paragraph: number, heading: headingLabels,
                          headingTitles: headingTitleList), with: line)
        case .indented:
            close()
            suspended = nil
            start(Builder(kind: .text, kindName: "text", paragraph: nil, heading: headingLabels,
                          headingTitles: headingTitleList), with: line)
        case .continuation:
            if current == nil, let resumed = suspended {
                current = resumed
                suspended = nil
            }
            if current == nil {
                start(Builder(kind: .text, kindName: "text", paragraph: nil, heading: headingLabels,
                              headingTitles: headingTitleList), with: line)
            } else {
                append(line)
            }
        }
        splitIfLong(after: line)
    }

    enum LineClass {
        case heading(Schema.HeadingRule)
        case block(Schema.BlockRule)
        case numbered(String)
        case item(String)
        case indented
        case continuation

        static func == (lhs: LineClass, rhs: LineClass) -> Bool {
            if case .continuation = lhs, case .continuation = rhs { return true }
            return false
        }
    }

    func classify(_ line: SourceLine) -> LineClass {
        let text = line.trimmed
        let inBlock = current?.isBlock == true
        for rule in schema.headings where line.trimmedCount <= rule.maxLength && (rule.inBlocks || !inBlock) {
            if rule.names.contains(text) { return .heading(rule) }
            if let pattern = rule.pattern, pattern.matches(text) {
                if let minIndent = rule.minIndent, line.indent < minIndent { continue }
                return .heading(rule)
            }
            if rule.pattern == nil, rule.names.isEmpty, let minIndent = rule.minIndent, line.indent >= minIndent,
               !endsSentence(text), !startsParagraph(text), Self.readsAsHeading(text) {
                return .heading(rule)
            }
        }
        if anyBlockStart?.matches(text) ?? true {
            for rule in schema.blocks where rule.start.matches(text) { return .block(rule) }
        }
        if let numbered = schema.paragraphs.numbered, let number = numbered.capture(1, in: text) {
            return .numbered(number)
        }
        if let item = schema.paragraphs.item, let letter = item.capture(1, in: text) { return .item(letter) }
        // PDF text indents page starts as well as paragraph starts: an indented line only starts
        // a paragraph when the text before it ended a sentence.
        if !inBlock, let indent = schema.paragraphs.indentStarts, line.indent >= indent,
           !ignoreBlankLines || current?.lines.last.map({ endsSentence($0.trimmed) }) ?? true {
            return .indented
        }
        return .continuation
    }

    private func startsParagraph(_ text: String) -> Bool {
        schema.paragraphs.numbered?.matches(text) == true || schema.paragraphs.item?.matches(text) == true
    }

    /// Whether a short indented line, found by its indent alone, can be a heading. PDF text
    /// indents much that is not: the first line of a column of a two-column table
    /// (还应该指出，评价政策、准则和项目选择标…), a table row that lost its table (实质性会议服务
    /// (三小时会议次数) 2 2 2 2), a row of figures (10 15, — 2), a bullet (• 加蓬和刚果签署). A
    /// heading has words, no clauses and no column of figures. (Headings with clauses, such as
    /// 成果 1：…，… or 会议管理，纽约, are recognised by their patterns.)
    static func readsAsHeading(_ text: String) -> Bool {
        let scalars = text.unicodeScalars
        // The line is full-width folded: ，and ；arrive as , and ;. (A heading with a comma, such
        // as the duty station 会议管理，纽约, needs a rule with a pattern: by its indent alone it
        // looks like the start of a table cell's text, 采取了措施，确保.)
        if scalars.contains(where: { "，。；,;".unicodeScalars.contains($0) }) { return false }
        if let first = scalars.first, "•·▪●○◦■□".unicodeScalars.contains(first) { return false }
        guard scalars.contains(where: { $0.properties.isAlphabetic }) else { return false }
        // Two or more trailing cells of figures or dashes: a table row.
        let cells = text.split(whereSeparator: \.isWhitespace)
        let figures = cells.reversed().prefix { cell in
            cell.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || "—–-.".unicodeScalars.contains($0) }
        }
        return figures.count < 2
    }

    private func endsSentence(_ text: String) -> Bool {
        guard let last = text.unicodeScalars.last else { return false }
        return "。；;！!？?：:，,".unicodeScalars.contains(last)
    }

    var headingLabels: [String] { headings.map(\.label) }

    /// A heading as written (not folded for matching), whitespace runs collapsed.
    static func label(_ line: SourceLine) -> String {
        line.text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
    var headingTitleList: [String] { headings.map(\.title) }

    mutating func start(_ builder: Builder, with line: SourceLine) {
        current = builder
        append(line)
    }

    mutating func append(_ line: SourceLine) {
        current?.lines.append(line)
        current?.length += line.scalarCount
    }

    /// Long paragraphs and tables split after a line that ends a sentence (or, for blocks, any
    /// line), so that a hit points near its match and snippets stay short.
    mutating func splitIfLong(after line: SourceLine) {
        guard let c = current, c.length >= schema.paragraphs.maxChars else { return }
        guard c.isBlock || endsSentence(line.trimmed) || c.length >= schema.paragraphs.maxChars * 2 else { return }
        let continuation = Builder(kind: c.kind, kindName: c.kindName, paragraph: c.paragraph, heading: c.heading,
                                   headingTitles: c.headingTitles, blockRule: c.blockRule)
        close()
        current = continuation
    }

    mutating func suspendOrClose() {
        if let c = current, c.kind == .paragraph || c.kind == .text || c.kind == .item {
            emit(c, withPending: true)
            // Keep building the same paragraph after the footnotes, as a new section (same number).
            suspended = Builder(kind: c.kind, kindName: c.kindName, paragraph: c.paragraph, heading: c.heading,
                                headingTitles: c.headingTitles)
            current = nil
        } else {
            close()
        }
    }

    mutating func close() {
        if let c = current { emit(c, withPending: true) }
        current = nil
    }

    mutating func flushNoise() {
        if let n = noiseRun { emit(n, withPending: false) }
        noiseRun = nil
    }

    mutating func finish() {
        flushNoise()
        close()
        if !pending.isEmpty {
            emit(Builder(kind: .heading, kindName: "heading", paragraph: nil, heading: headingLabels,
                         headingTitles: headingTitleList), withPending: true)
        }
        // Noise runs are emitted as they end, inside a paragraph that is still open: put every
        // section back in reading order.
        sections.sort { $0.firstLine < $1.firstLine }
        for i in sections.indices { sections[i].ordinal = i }
    }

    /// Blank for sectioning: spaces of every width (U+2003, the ideographic space), tabs and the
    /// zero-width space PDF extraction leaves. One definition for whether a line is blank and for
    /// what is trimmed from a line's text, so that a line holding only these is blank in both
    /// (it used to count as a line of the section with no text, and every later line's number
    /// came out one too early).
    /// (The space separators, Zs, are spelled out: a property lookup per scalar of every line
    /// is slow, and a test checks the list against the property.)
    static func isBlankScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x20, 0xA0, 0x1680, 0x2000...0x200B, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }

    /// `text` without leading and trailing blanks (Foundation's `.whitespaces` on Linux), trimmed
    /// here because Foundation's trimming bridges every line to an NSString (a tenth of
    /// sectioning time).
    static func trimmingBlanks(_ text: Substring) -> Substring {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isBlankScalar($0) }),
              let last = scalars.lastIndex(where: { !isBlankScalar($0) }) else { return "" }
        return Substring(scalars[first...last])
    }

    mutating func emit(_ builder: Builder, withPending: Bool) {
        var lines = builder.lines
        if withPending && !pending.isEmpty {
            lines = pending + lines
            pending = []
        }
        guard !lines.isEmpty else { return }
        var text = ""
        var starts: [Int] = []
        // The lines that give the text, in step with `starts` (Section.line(atTextOffset:)
        // pairs them by index).
        var numbers: [Int] = []
        var length = 0
        var previousLast: Unicode.Scalar?
        for line in lines {
            let body = Self.trimmingBlanks(line.text)
            guard let first = body.unicodeScalars.first else { continue }
            numbers.append(line.number)
            if let last = previousLast, !joinsTight(last, first) {
                text.unicodeScalars.append(" ")
                length += 1
            }
            starts.append(length)
            text += body
            length += body.unicodeScalars.count
            previousLast = body.unicodeScalars.last
        }
        guard !numbers.isEmpty else { return }
        var hash = StableHash()
        for part in [documentID, builder.kindName, builder.heading.joined(separator: "\u{1}"), builder.paragraph ?? "", text] {
            hash.combine(part)
        }
        let key = hash.hex(lanes: 1)
        let seen = occurrences[key, default: 0]
        occurrences[key] = seen + 1
        hash.combine(String(seen))
        let first = lines[0], last = lines[lines.count - 1]
        sections.append(Section(
            id: hash.hex(lanes: 1), document: documentID, kind: builder.kind, kindName: builder.kindName,
            heading: builder.heading, headingTitles: builder.headingTitles, paragraph: builder.paragraph,
            lines: numbers, lineStarts: starts, startOffset: first.offset,
            endOffset: last.offset + last.scalarCount, text: text, ordinal: sections.count))
    }

    /// No space where a PDF broke a line between CJK characters (or CJK and anything): the break
    /// is layout, not a word boundary. Latin words and numbers on both sides keep a space.
    private func joinsTight(_ a: Unicode.Scalar, _ b: Unicode.Scalar) -> Bool {
        isCJK(a) || isCJK(b)
    }

    private func isCJK(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x2E80...0x2FDF, 0x3000...0x303F, 0x3040...0x30FF, 0x3100...0x312F, 0x3190...0x31FF,
             0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFFEF,
             0x20000...0x3134F, 0x2014, 0x2015, 0x2018...0x201F, 0x2026:
            return true
        default:
            return false
        }
    }
}
