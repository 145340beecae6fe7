import PlanAnalyzer
import XapianKit

/// PlanSearch's analyzer on the indexing side: Han characters and Latin tokens positioned,
/// words and parts without positions.
public struct PlanDocumentAnalyzer: DocumentAnalyzer {
    public let analyzer: Analyzer

    public init(analyzer: Analyzer) { self.analyzer = analyzer }

    public var fingerprint: String { analyzer.fingerprint }

    public func index(_ text: String, prefix: String, wdf: UInt32, from start: UInt32, positional: Bool,
                      into document: inout Document) -> UInt32 {
        var scratch = AnalysisScratch()
        return index(text, prefix: prefix, wdf: wdf, from: start, positional: positional, into: &document,
                     scratch: &scratch)
    }

    public func index(_ text: String, prefix: String, wdf: UInt32, from start: UInt32, positional: Bool,
                      into document: inout Document, scratch: inout AnalysisScratch) -> UInt32 {
        // Terms as bytes, handed to the document in one batch: a String per term (and another
        // for the prefixed term) was most of the cost of indexing after segmentation.
        scratch.batch.positional = positional
        let next = analyzer.analyzeTerms(text, startPosition: start, into: &scratch.batch, scratch: &scratch.analyzer)
        let prefixBytes = Array(prefix.utf8)
        document.addPostings(prefix: prefixBytes, bytes: scratch.batch.postingBytes, lengths: scratch.batch.postingLengths,
                             positions: scratch.batch.positions, wdfIncrement: wdf)
        document.addTerms(prefix: prefixBytes, bytes: scratch.batch.termBytes, lengths: scratch.batch.termLengths,
                          wdfIncrement: wdf)
        scratch.unindexedLength += wdf * UInt32(truncatingIfNeeded: scratch.batch.unindexed)
        if max(scratch.batch.postingBytes.capacity, scratch.batch.termBytes.capacity) > AnalysisScratch.keptBytes {
            scratch.batch = TermBatch()
        }
        return next
    }
}

/// PlanSearch's analyzer on the query side. A word matches where the document's segmentation
/// made it a word, or where its characters stand together (so a segmentation disagreement
/// costs ranking, never the match); a phrase matches exactly where its characters do.
public struct PlanQueryAnalyzer: QueryAnalyzer {
    public let analyzer: Analyzer
    /// Taiwan-to-mainland vocabulary for query words; nil folds by character only.
    let vocabulary: RegionalVocabulary?

    public init(analyzer: Analyzer, vocabulary: RegionalVocabulary? = RegionalVocabulary.shared) {
        self.analyzer = analyzer
        self.vocabulary = analyzer.normalizer.foldsTraditional ? vocabulary : nil
    }

    public func words(of text: String, prefix: String) -> [QueryWord] {
        analyzer.queryUnits(text).map { unit in
            // The word's first positioned term (its first character, or the Latin token) marks
            // where it stands, for the proximity bonus.
            var word = QueryWord(text: unit.text, query: Self.query(for: unit, prefix: prefix), required: unit.required,
                                 highlights: [unit.term], proximityTerm: unit.spelling.first.map { prefix + $0 })
            if unit.kind == .han, let mainland = mainlandWord(unit, prefix: prefix) {
                // A word in Taiwan usage (塑膠) also matches its mainland form (塑料).
                word.query = .or([word.query, mainland.query])
                word.highlights.append(contentsOf: mainland.highlights)
            }
            return word
        }
    }

    /// The mainland form of a Han query word when its vocabulary differs, not just its
    /// characters (塑膠 folds to 塑胶 by character, but mainland text says 塑料).
    func mainlandWord(_ unit: QueryUnit, prefix: String) -> QueryWord? {
        guard let vocabulary, let converted = vocabulary.mainland(unit.text) else { return nil }
        let units = analyzer.queryUnits(converted)
        guard !units.isEmpty, units.map(\.term).joined() != unit.term else { return nil }
        if units.count == 1 {
            return QueryWord(text: converted, query: Self.query(for: units[0], prefix: prefix), required: true,
                             highlights: [units[0].term])
        }
        return phrase(converted, prefix: prefix)
    }

    static func query(for unit: QueryUnit, prefix: String) -> Query {
        let word = Query.term(prefix + unit.term)
        guard unit.spelling.count > 1 else { return word }
        let spelled = Query.phrase(unit.spelling.map { .term(prefix + $0) })
        return .or([word, spelled])
    }

    /// How much a phrase's characters weigh beside its dictionary words (see `phrase`).
    /// Measured with `plansearch-bench relevance`: 1 (characters and words alike) gave overall
    /// nDCG 0.870, 0.5 gave 0.877 (questions 0.891 -> 0.935), 0.25 and 0.1 about the same as
    /// 0.5 but phrases a little worse; characters alone (before) 0.872.
    static let phraseCharacterWeight = 0.5

    /// A phrase matches exactly where its characters stand together, and is weighed mostly by
    /// its dictionary words: BM25 over characters alone counts every 服务 of a section as evidence
    /// for "全球贸易服务台" and every 发展 for 发达, while a word's own frequency (a rare word weighs
    /// more than a common one) is about the phrase. The words cannot match alone: they only add weight.
    public func phrase(_ text: String, prefix: String) -> QueryWord? {
        let terms = analyzer.phraseTerms(text)
        guard !terms.isEmpty else { return nil }
        let characters: Query = terms.count == 1 ? .term(prefix + terms[0]) : .phrase(terms.map { .term(prefix + $0) })
        let words: [Query] = analyzer.queryUnits(text).filter { $0.kind == .han && $0.spelling.count > 1 }
            .map { .term(prefix + $0.term) }
        let query: Query = words.isEmpty
            ? characters : .andMaybe(.scaleWeight(characters, Self.phraseCharacterWeight), .or(words))
        return QueryWord(text: text, query: query, required: true, highlights: [text])
    }

    public func normalizeForHighlighting(_ text: String) -> (text: [Unicode.Scalar], origin: [Int]) {
        let n = analyzer.normalizer.normalize(text)
        return (n.scalars, n.origin)
    }

    /// Letters and numbers of any script but Han, as the analyzer's Latin tokens hold them.
    public func continuesLatinWord(_ s: Unicode.Scalar) -> Bool { Analyzer.continuesLatinToken(s) }
}
