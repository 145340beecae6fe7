import PlanAnalyzer
import XapianKit

/// Turns text into a Xapian document's postings. The indexer and the query builder depend on
/// this protocol, not on one analyzer, so that the relevance suite and the benchmarks can run
/// the same sections through PlanSearch's analyzer and through Xapian's n-gram baseline.
public protocol DocumentAnalyzer: Sendable {
    /// Names what decides the terms this analyzer gives a text (its version, options and
    /// dictionaries): documents indexed under another fingerprint are indexed again.
    var fingerprint: String { get }

    /// Adds `text`'s terms with `prefix` to `document`, positions from `start` (or none when
    /// not `positional`), each occurrence raising wdf by `wdf`; returns the next position.
    func index(_ text: String, prefix: String, wdf: UInt32, from start: UInt32, positional: Bool,
               into document: inout Document) -> UInt32

    /// The same, keeping working memory in `scratch` between calls: one scratch per indexing
    /// thread, passed to every text it indexes. Analyzers that need none ignore it.
    func index(_ text: String, prefix: String, wdf: UInt32, from start: UInt32, positional: Bool,
               into document: inout Document, scratch: inout AnalysisScratch) -> UInt32
}

extension DocumentAnalyzer {
    public func index(_ text: String, prefix: String, wdf: UInt32, from start: UInt32, positional: Bool,
                      into document: inout Document, scratch: inout AnalysisScratch) -> UInt32 {
        index(text, prefix: prefix, wdf: wdf, from: start, positional: positional, into: &document)
    }
}

/// Buffers an analyzer reuses from one text to the next on one thread (the analyzer itself is
/// shared between threads and holds no mutable state). Sections average a few hundred bytes,
/// so allocating these afresh for each was a noticeable share of analysis time.
public struct AnalysisScratch: Sendable {
    var analyzer = Analyzer.Scratch()
    var batch = TermBatch()
    /// The wdf of the occurrences counted but not indexed since it was last reset (see
    /// `IndexLayout.unindexedLengthTerm`).
    var unindexedLength: UInt32 = 0
    /// Headings folded before (``IndexLayout/foldHeading``: NFKC, case, whitespace), by
    /// heading: every section repeats its heading path, which gives both its heading filter
    /// terms and its heading-factor value; folding each heading again for every section was
    /// 2.7% of `plansearch index` for the terms and 3.3% of a one-writer build for the value.
    /// Emptied when it reaches `foldedHeadingsLimit`. (A fold does not depend on the schema, so
    /// a scratch is not tied to one.)
    var foldedHeadings: [String: String] = [:]
    static let foldedHeadingsLimit = 10_000
    public init() {}

    /// `IndexLayout.foldHeading(heading)`, remembered.
    mutating func foldedHeading(_ heading: String) -> String {
        if let known = foldedHeadings[heading] { return known }
        let folded = IndexLayout.foldHeading(heading)
        if foldedHeadings.count >= Self.foldedHeadingsLimit { foldedHeadings.removeAll(keepingCapacity: true) }
        foldedHeadings[heading] = folded
        return folded
    }

    /// Term bytes beyond which the batch is let go after a text (a huge line), rather than
    /// pinned for the rest of the run.
    static let keptBytes = 1 << 18
}

/// Xapian's own TermGenerator with FLAG_CJK_NGRAM: the baseline PlanSearch is measured against.
public struct XapianNgramAnalyzer: DocumentAnalyzer {
    public init() {}

    public var fingerprint: String { "xapian-ngram-1" }

    public func index(_ text: String, prefix: String, wdf: UInt32, from start: UInt32, positional: Bool,
                      into document: inout Document) -> UInt32 {
        document.addBaselineText(text, prefix: prefix, wdfIncrement: wdf, cjkNgram: true, positional: positional,
                                 startPosition: start)
        // TermGenerator reports its last position only when it runs; a generous bound keeps the
        // next field's positions apart from this one's.
        return start + UInt32(clamping: text.unicodeScalars.count) + 1
    }
}
