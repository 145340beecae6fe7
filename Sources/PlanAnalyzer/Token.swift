/// One term the analyzer produced, with where it came from.
public struct Token: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// A Han character: positioned, so that a phrase is a substring.
        case han
        /// A dictionary word (or unknown-word guess) over several Han characters: no position.
        case word
        /// A shorter dictionary word inside a word (可持续 in 可持续发展目标): no position.
        case subword
        /// A Latin word, a number, or a symbol such as a/75/6 or covid-19: positioned.
        case latin
        /// A part of a Latin token (covid and 19 in covid-19): no position.
        case part
    }

    public var term: String
    /// Xapian position (from 1); 0 for terms without one.
    public var position: UInt32
    /// Offsets in the original text, in Unicode scalars, half-open.
    public var start: Int
    public var end: Int
    public var kind: Kind

    public init(term: String, position: UInt32, start: Int, end: Int, kind: Kind) {
        self.term = term
        self.position = position
        self.start = start
        self.end = end
        self.kind = kind
    }
}

/// A word of a query, as the query builder needs it.
public struct QueryUnit: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable {
        case han, latin
    }
    /// The text as the user typed it.
    public var text: String
    /// The normalised word: the term a document holds when its segmentation agreed.
    public var term: String
    /// The positioned terms that spell it (characters for Han, the token for Latin): as a phrase
    /// they match wherever these characters stand together, whatever the segmentation said.
    public var spelling: [String]
    /// Content words are required; function words (的, 多少, 如何) only help ranking.
    public var required: Bool
    public var kind: Kind
    public var start: Int
    public var end: Int
}
