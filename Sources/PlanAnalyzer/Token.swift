/// One term the analyzer produced, with where it came from.
public struct Token: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// A Han character: positioned, so that a phrase is a substring.
        case han
        /// A dictionary word (or unknown-word guess) over several Han characters: no position.
        case word
        /// Any other dictionary word the characters spell: inside a word (可持续 in 可持续发展目标)
        /// or across two (中国 in 其中|国际). No position.
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

/// One term as ``Analyzer/analyzeTerms(_:startPosition:emit:)`` hands it over: the same fields
/// as ``Token``, with the term as UTF-8 bytes that are valid only during the call.
public struct TermView {
    public let bytes: UnsafeBufferPointer<UInt8>
    /// The first scalar of the term (a Han term's only one).
    let scalar: UInt32
    public let position: UInt32
    public let start: Int
    public let end: Int
    public let kind: Token.Kind
    /// A Han character that the segmentation made a word by itself (和, 水), not part of a
    /// longer word.
    public internal(set) var standsAlone = false

    /// Whether a field indexed without positions keeps this term: every term but a Han
    /// character inside a longer word. Without positions such a character can never be part of
    /// a phrase, so it could only match a query of that one character, and a query word of one
    /// character is one the segmentation left alone.
    public var keptWithoutPositions: Bool { kind != .han || standsAlone }

    /// The term as a String (a copy of the bytes).
    public var string: String { String(decoding: bytes, as: UTF8.self) }
}

/// Receives the analyzer's terms; generic so that the scanning code is specialised for each
/// receiver instead of calling a closure per term.
protocol TermSink {
    mutating func add(_ term: TermView)
    /// Whether it takes the dictionary words across two segmented words (中国 in 其中|国际), or
    /// only the segmented words and the words inside them.
    var takesWordsAcross: Bool { get }
}

extension TermSink {
    var takesWordsAcross: Bool { true }
}

struct ClosureSink: TermSink {
    let emit: (TermView) -> Void
    @inline(__always) func add(_ term: TermView) { emit(term) }
}

/// A text's terms as a document takes them: positioned terms (bytes, lengths, positions) and
/// terms without a position (bytes, lengths), each list in the analyzer's order. With
/// `positional` false, every term goes to the second list, except the Han characters inside
/// longer words (see ``TermView/keptWithoutPositions``), which are only counted in `unindexed`.
public struct TermBatch: TermSink, Sendable {
    public var positional: Bool
    public var postingBytes: [UInt8] = []
    public var postingLengths: [UInt32] = []
    public var positions: [UInt32] = []
    public var termBytes: [UInt8] = []
    public var termLengths: [UInt32] = []
    /// Occurrences left out (unpositioned only): the text's length for ranking still counts them.
    public var unindexed = 0

    public init(positional: Bool = true) { self.positional = positional }

    /// Only a field with positions takes the words across segmented words: there a query word
    /// is matched by its term alone (see `PlanIndex.WordMatching`), which must then find every
    /// place its characters stand together. A field without positions (the heading path, the
    /// title) was only ever matched by the segmented words, and its terms repeat in every
    /// section under a heading: words across would cost index time and size for nothing.
    var takesWordsAcross: Bool { positional }

    public mutating func removeAll() {
        postingBytes.removeAll(keepingCapacity: true)
        postingLengths.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
        termBytes.removeAll(keepingCapacity: true)
        termLengths.removeAll(keepingCapacity: true)
        unindexed = 0
    }

    @inline(__always)
    mutating func add(_ term: TermView) {
        if !positional && !term.keptWithoutPositions {
            unindexed += 1
            return
        }
        if positional && term.position > 0 {
            postingBytes.append(contentsOf: term.bytes)
            postingLengths.append(UInt32(truncatingIfNeeded: term.bytes.count))
            positions.append(term.position)
        } else {
            termBytes.append(contentsOf: term.bytes)
            termLengths.append(UInt32(truncatingIfNeeded: term.bytes.count))
        }
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
