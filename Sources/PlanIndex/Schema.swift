import Foundation

/// How one kind of document is split into sections and indexed. Loaded from a JSON file under
/// IndexSchemas/ (every key is explained in IndexSchemas/README.md) and validated whole at load:
/// a schema with a mistake is refused with the file, the JSON path and the problem.
public struct Schema: Sendable {
    public var name: String
    public var description: String
    /// File extensions (without dot) indexed when a directory is given; empty: every text file.
    public var extensions: [String]
    public var title: TitleRule
    public var headings: [HeadingRule]
    public var paragraphs: ParagraphRule
    public var blocks: [BlockRule]
    public var noise: [NoiseRule]
    public var fields: Fields
    public var filters: Filters
    public var values: Values
    public var year: YearRule
    public var analyzer: AnalyzerOptions
    public var ranking: Ranking
    /// Where the schema was loaded from (lexicon paths are relative to its directory).
    public var file: String
    /// Names every key of the schema file that decides how a document is split and indexed
    /// (all but `description` and `ranking`, which only searching reads): documents indexed
    /// under another are indexed again, so an edited rule applies to unchanged files too.
    public var indexFingerprint: String

    public struct TitleRule: Sendable {
        /// The first line within `scanLines` matching this is the title; else the first line.
        public var pattern: LinePattern?
        public var scanLines: Int
        public var maxLength: Int
    }

    public struct HeadingRule: Sendable {
        public var name: String
        /// 1 is the outermost; a heading closes every open heading of its level and deeper.
        public var level: Int
        public var pattern: LinePattern?
        public var names: Set<String>
        /// Lines indented by at least this many spaces (after NFKC) count as this heading.
        public var minIndent: Int?
        public var maxLength: Int
        /// The next non-blank line is the heading's title ("方案 1" then its name).
        public var titleOnNextLine: Bool
        /// Whether this rule also applies inside a table or footnote block.
        public var inBlocks: Bool
    }

    public struct ParagraphRule: Sendable {
        /// A line that starts a numbered paragraph; capture group 1 is the number ("13.2").
        public var numbered: LinePattern?
        /// A line that starts a lettered item ("(a)"), numbered after its paragraph: "13.2(a)".
        public var item: LinePattern?
        /// A line indented by at least this many spaces starts a new paragraph.
        public var indentStarts: Int?
        public var blankLines: BlankLines
        /// Paragraphs longer than this many characters are split at a sentence end.
        public var maxChars: Int

        public enum BlankLines: String, Sendable {
            /// A blank line ends a paragraph.
            case separate
            /// Blank lines mean nothing (PDF text with a blank line after every line).
            case ignore
            /// `ignore` when most lines are followed by a blank line, else `separate`.
            case auto
        }
    }

    public struct BlockRule: Sendable {
        /// The section kind: "table", "footnote", "figure", ...
        public var kind: String
        public var start: LinePattern
        /// The block ends at a heading, numbered paragraph, noise or another block (always), or
        /// at a blank line when `endsAtBlankLine` (and blank lines are not ignored).
        public var endsAtBlankLine: Bool
    }

    public struct NoiseRule: Sendable {
        public var name: String
        public var pattern: LinePattern
    }

    public struct Field: Sendable {
        public var prefix: String
        public var weight: Int
    }

    public struct Fields: Sendable {
        public var title: Field
        public var heading: Field
        public var paragraph: Field
        public var body: Field
    }

    public struct Filters: Sendable {
        public var document: String
        public var heading: String
        public var kind: String
        public var section: String
    }

    public struct Values: Sendable {
        public var document: UInt32
        public var year: UInt32
        public var order: UInt32
        /// How much the section reads as prose (``ProseShare``), for `ranking.listPenalty`.
        public var prose: UInt32
        /// The section's copy key (``CopyKey``): sections with the same text share it, and
        /// search shows them as one hit.
        public var copy: UInt32
        /// The section's heading path (``HeadingFactors/key(heading:titles:)``), for `ranking.headingFactors`.
        /// When a schema leaves it out: 5, or the first slot from 5 on that no other value uses.
        public var heading: UInt32 = 5
    }

    public struct YearRule: Sendable {
        /// Capture group 1 is a year; looked for in the title, then the file name, then the text.
        public var pattern: LinePattern?
        public var scanLines: Int
    }

    public struct AnalyzerOptions: Sendable {
        /// Extra lexicon files (relative to the schema's directory).
        public var lexicons: [String]
        public var synonyms: String?
        public var foldTraditional: Bool
    }

    public struct Ranking: Sendable {
        public var k1: Double
        public var b: Double
        public var headingBoost: Double
        public var titleBoost: Double
        /// A section's weight is multiplied by 1 - listPenalty × (1 - its prose share): table
        /// rows and lists of titles rank below the paragraphs that discuss the same words.
        public var listPenalty: Double
        /// Weight factors by heading name (folded as heading filters are): a section with one of these in
        /// its heading path has its weight multiplied by the factor (by each, when several), so
        /// catalogues that name everything (deliverables, lists of resolutions) rank below the
        /// narrative that discusses the same words.
        public var headingFactors: [String: Double] = [:]
    }
}

/// A compiled regular expression with its source, matched against whole lines.
public struct LinePattern: @unchecked Sendable {
    // NSRegularExpression is immutable and documented thread-safe; it is only not marked Sendable.
    let expression: NSRegularExpression
    public var pattern: String { expression.pattern }

    init(_ expression: NSRegularExpression) { self.expression = expression }

    public func firstMatch(in line: String) -> NSTextCheckingResult? {
        expression.firstMatch(in: line, options: [], range: NSRange(line.startIndex..., in: line))
    }

    public func matches(_ line: String) -> Bool { firstMatch(in: line) != nil }

    /// Expressions that together match a line where any of `patterns` does: one joined
    /// alternation when they can be joined, so that a line is converted to UTF-16 and scanned
    /// once rather than once per pattern (the noise rules, tried on every line, were a twentieth
    /// of indexing). Kept apart when a pattern may hold a backreference (joining shifts group
    /// numbers) or when the joined expression does not compile.
    static func anyOf(_ patterns: [LinePattern]) -> [LinePattern] {
        guard patterns.count > 1 else { return patterns }
        let sources = patterns.map(\.pattern)
        let mayReferBack = sources.contains { source in
            let scalars = Array(source.unicodeScalars)
            return scalars.indices.dropLast().contains { i in
                scalars[i] == "\\" && (("1"..."9").contains(scalars[i + 1]) || scalars[i + 1] == "k")
            }
        }
        guard !mayReferBack,
              let joined = try? NSRegularExpression(pattern: sources.map { "(?:\($0))" }.joined(separator: "|"), options: [])
        else { return patterns }
        return [LinePattern(joined)]
    }

    /// The text of capture group `group` (or the whole match for 0).
    public func capture(_ group: Int, in line: String) -> String? {
        guard let match = firstMatch(in: line), group < match.numberOfRanges,
              let range = Range(match.range(at: group), in: line) else { return nil }
        return String(line[range])
    }
}
