import XapianKit

/// Turns text into a Xapian document's postings. The indexer and the query builder depend on
/// this protocol, not on one analyzer, so that the relevance suite and the benchmarks can run
/// the same sections through PlanSearch's analyzer and through Xapian's n-gram baseline.
public protocol DocumentAnalyzer: Sendable {
    /// Adds `text`'s terms with `prefix` to `document`, positions from `start` (or none when
    /// not `positional`), each occurrence raising wdf by `wdf`; returns the next position.
    func index(_ text: String, prefix: String, wdf: UInt32, from start: UInt32, positional: Bool,
               into document: inout Document) -> UInt32
}

/// Xapian's own TermGenerator with FLAG_CJK_NGRAM: the baseline PlanSearch is measured against.
public struct XapianNgramAnalyzer: DocumentAnalyzer {
    public init() {}

    public func index(_ text: String, prefix: String, wdf: UInt32, from start: UInt32, positional: Bool,
                      into document: inout Document) -> UInt32 {
        document.addBaselineText(text, prefix: prefix, wdfIncrement: wdf, cjkNgram: true, positional: positional,
                                 startPosition: start)
        // TermGenerator reports its last position only when it runs; a generous bound keeps the
        // next field's positions apart from this one's.
        return start + UInt32(clamping: text.unicodeScalars.count) + 1
    }
}
