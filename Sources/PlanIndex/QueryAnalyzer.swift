import Foundation
import XapianKit

/// A word of a query as the analyzer understood it.
public struct QueryWord: Sendable, Hashable {
    /// What the user typed for this word (shown in `missing`).
    public var text: String
    /// The Xapian query that finds it.
    public var query: Query
    /// Content words are required; function words (的, 多少, 名) only help ranking.
    public var required: Bool
    /// The normalised forms a highlighter looks for in section text.
    public var highlights: [String]
    /// A single positioned term standing for the word, for the proximity bonus (Xapian's NEAR
    /// takes single terms only); nil when there is none.
    public var proximityTerm: String?

    public init(text: String, query: Query, required: Bool, highlights: [String], proximityTerm: String? = nil) {
        self.text = text
        self.query = query
        self.required = required
        self.highlights = highlights
        self.proximityTerm = proximityTerm
    }
}

/// How a query finds a word of several Han characters in a field: what the index holds decides it.
public enum WordMatching: Sendable, Hashable {
    /// By its term, or by the phrase of its characters (positions read): an index whose
    /// documents hold only the words their segmentation chose (and the words inside those) has
    /// no term where the same characters were segmented otherwise.
    case termOrCharacters
    /// By its term alone, which an index holding every dictionary word its text spells has
    /// wherever the characters stand together in a run of Han text (not across punctuation, as
    /// the phrase did). The characters still add the weight the phrase gave, without their
    /// positions being read.
    case term
    /// By its term alone, in a field without positions (the heading path, the title), where
    /// the characters inside words are not indexed. (A phrase keeps its general form there,
    /// which `Searcher.withoutPositions` then reduces to what such a field can match.)
    case termWithoutPositions
}

/// The query side of an analyzer: the same normalisation and segmentation as indexing, so that
/// what is searched for is what was indexed, and highlighting finds what matched.
public protocol QueryAnalyzer: Sendable {
    /// The analyzer fingerprint that an index records (`IndexLayout.analyzerKey`) when every
    /// document in it was analysed by this analyzer's indexing side, which then holds every
    /// dictionary word its text spells: body words are matched with `WordMatching.term`. nil
    /// for an analyzer whose index holds no such words.
    var everyWordFingerprint: String? { get }
    /// The words of an unquoted query item (an unspaced question yields several).
    func words(of text: String, prefix: String, matching: WordMatching) -> [QueryWord]
    /// An exact phrase: matches where these characters stand consecutively. nil when the text
    /// has no searchable characters.
    func phrase(_ text: String, prefix: String, matching: WordMatching) -> QueryWord?
    /// `words(of:prefix:matching:)` for several fields at once, one list per field in order:
    /// the text is analysed once, not once per field.
    func words(of text: String, fields: [QueryField]) -> [[QueryWord]]
    /// `phrase(_:prefix:matching:)` for several fields at once, in order, analysing once.
    func phrase(_ text: String, fields: [QueryField]) -> [QueryWord?]
    /// Normalises text for highlighting: the normalised string and, for each of its Unicode
    /// scalars, the offset of the original scalar it came from (plus one past the end).
    func normalizeForHighlighting(_ text: String) -> (text: [Unicode.Scalar], origin: [Int])
    /// Whether a normalised scalar past ASCII continues a Latin word, as this analyzer's tokens
    /// do (a highlight of a Latin word must end where a token ends: caf is not in café).
    func continuesLatinWord(_ s: Unicode.Scalar) -> Bool
}

/// A field a query word is built for: its term prefix and how a word is matched there.
public struct QueryField: Sendable, Hashable {
    public var prefix: String
    public var matching: WordMatching
    public init(_ prefix: String, _ matching: WordMatching) {
        self.prefix = prefix
        self.matching = matching
    }
}

extension QueryAnalyzer {
    public var everyWordFingerprint: String? { nil }

    /// One analysis per field, for analyzers with nothing to share between fields.
    public func words(of text: String, fields: [QueryField]) -> [[QueryWord]] {
        fields.map { words(of: text, prefix: $0.prefix, matching: $0.matching) }
    }

    public func phrase(_ text: String, fields: [QueryField]) -> [QueryWord?] {
        fields.map { phrase(text, prefix: $0.prefix, matching: $0.matching) }
    }

    /// The words as an index of any age holds them (by term or by characters).
    public func words(of text: String, prefix: String) -> [QueryWord] {
        words(of: text, prefix: prefix, matching: .termOrCharacters)
    }

    public func phrase(_ text: String, prefix: String) -> QueryWord? {
        phrase(text, prefix: prefix, matching: .termOrCharacters)
    }

    /// Past ASCII, nothing: Xapian's n-gram tokenizer splits kana, Hangul and full-width forms
    /// off a Latin word, and the baseline's highlights stay as they were.
    public func continuesLatinWord(_ s: Unicode.Scalar) -> Bool { false }
}

/// The baseline's query side: Xapian's QueryParser with FLAG_CJK_NGRAM, word by word.
public struct XapianNgramQueryAnalyzer: QueryAnalyzer {
    public init() {}

    public func words(of text: String, prefix: String, matching: WordMatching) -> [QueryWord] {
        [QueryWord(text: text, query: .parsed(text, prefix: prefix, cjkNgram: true, defaultAnd: true),
                   required: true, highlights: [text.lowercased()])]
    }

    public func phrase(_ text: String, prefix: String, matching: WordMatching) -> QueryWord? {
        let quoted = "\"" + text.replacingOccurrences(of: "\"", with: " ") + "\""
        return QueryWord(text: text, query: .parsed(quoted, prefix: prefix, cjkNgram: true, defaultAnd: true),
                         required: true, highlights: [text.lowercased()])
    }

    public func normalizeForHighlighting(_ text: String) -> (text: [Unicode.Scalar], origin: [Int]) {
        var out: [Unicode.Scalar] = []
        var origin: [Int] = []
        for (i, scalar) in text.unicodeScalars.enumerated() {
            for lowered in String(scalar).lowercased().unicodeScalars {
                out.append(lowered)
                origin.append(i)
            }
        }
        origin.append(text.unicodeScalars.count)
        return (out, origin)
    }
}
