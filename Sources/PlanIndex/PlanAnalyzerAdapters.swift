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

/// PlanSearch's analyzer on the query side. A word matches wherever its characters stand
/// together: by its term in an index that holds every dictionary word its text spells, else by
/// its term or the phrase of its characters (so a segmentation disagreement costs ranking, never
/// the match; see `WordMatching`). A phrase matches exactly where its characters do.
public struct PlanQueryAnalyzer: QueryAnalyzer {
    public let analyzer: Analyzer
    /// Taiwan-to-mainland vocabulary for query words; nil folds by character only.
    let vocabulary: RegionalVocabulary?

    public init(analyzer: Analyzer, vocabulary: RegionalVocabulary? = RegionalVocabulary.shared) {
        self.analyzer = analyzer
        self.vocabulary = analyzer.normalizer.foldsTraditional ? vocabulary : nil
    }

    /// Documents indexed by this analyzer hold every dictionary word their text spells (since
    /// `Analyzer.termsVersion` 3).
    public var everyWordFingerprint: String? { analyzer.fingerprint }

    public func words(of text: String, prefix: String, matching: WordMatching) -> [QueryWord] {
        words(of: text, fields: [QueryField(prefix, matching)])[0]
    }

    /// The search builds each item for the body, the heading path and the title: segmenting it
    /// (and finding its words' mainland forms) once for all three, not once each, took the
    /// daemon's share in `words` under load from 2.5% to 1.7%.
    public func words(of text: String, fields: [QueryField]) -> [[QueryWord]] {
        let units = analyzer.queryUnits(text)
        let mainland = units.map { $0.kind == .han ? mainlandForm($0) : nil }
        return fields.map { field in
            units.indices.map { i in
                let unit = units[i]
                // The word's first positioned term (its first character, or the Latin token)
                // marks where it stands, for the proximity bonus.
                var word = QueryWord(text: unit.text, query: Self.query(for: unit, prefix: field.prefix, matching: field.matching),
                                     required: unit.required, highlights: [unit.term],
                                     proximityTerm: unit.spelling.first.map { field.prefix + $0 })
                if let form = mainland[i], let other = mainlandWord(form, prefix: field.prefix, matching: field.matching) {
                    // A word in Taiwan usage (塑膠) also matches its mainland form (塑料).
                    word.query = .or([word.query, other.query])
                    word.highlights.append(contentsOf: other.highlights)
                }
                return word
            }
        }
    }

    /// A Han query word's mainland form when its vocabulary differs, not just its characters
    /// (塑膠 folds to 塑胶 by character, but mainland text says 塑料): the converted text and
    /// how it analyses.
    struct MainlandForm {
        let text: String
        let units: [QueryUnit]
        let phrase: PhraseParts
    }

    func mainlandForm(_ unit: QueryUnit) -> MainlandForm? {
        guard let vocabulary, let converted = vocabulary.mainland(unit.text) else { return nil }
        let units = analyzer.queryUnits(converted)
        guard !units.isEmpty, units.map(\.term).joined() != unit.term else { return nil }
        return MainlandForm(text: converted, units: units,
                            phrase: PhraseParts(terms: units.count == 1 ? [] : analyzer.phraseTerms(converted), units: units))
    }

    func mainlandWord(_ form: MainlandForm, prefix: String, matching: WordMatching) -> QueryWord? {
        if form.units.count == 1 {
            return QueryWord(text: form.text, query: Self.query(for: form.units[0], prefix: prefix, matching: matching),
                             required: true, highlights: [form.units[0].term])
        }
        return phrase(form.text, form.phrase, prefix: prefix, matching: matching)
    }

    static func query(for unit: QueryUnit, prefix: String, matching: WordMatching) -> Query {
        let word = Query.term(prefix + unit.term)
        guard unit.spelling.count > 1 else { return word }
        let characters = unit.spelling.map { Query.term(prefix + $0) }
        switch matching {
        case .termOrCharacters:
            return .or([word, .phrase(characters)])
        case .term:
            // The sections of `word OR phrase` over such an index, but for the phrase's matches
            // across punctuation (which takes no position: 世界中，国际 held 中国): the term
            // is where the characters stand together in a run of Han text. The weight is what
            // the word and the phrase's characters weighed, less the phrase-in-OR weight Xapian
            // 1.4 sometimes counts for a section it did not match (see `seededRound`). Checking
            // the phrase's positions was much of a common word's cost.
            return .andMaybe(word, .and(characters))
        case .termWithoutPositions:
            return word
        }
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
    public func phrase(_ text: String, prefix: String, matching: WordMatching) -> QueryWord? {
        phrase(text, PhraseParts(text, analyzer), prefix: prefix, matching: matching)
    }

    public func phrase(_ text: String, fields: [QueryField]) -> [QueryWord?] {
        let parts = PhraseParts(text, analyzer)
        return fields.map { phrase(text, parts, prefix: $0.prefix, matching: $0.matching) }
    }

    /// What a phrase is built from: its characters' terms and its dictionary words.
    struct PhraseParts {
        let terms: [String]
        let units: [QueryUnit]

        init(terms: [String], units: [QueryUnit]) {
            self.terms = terms
            self.units = units
        }

        init(_ text: String, _ analyzer: Analyzer) {
            terms = analyzer.phraseTerms(text)
            units = terms.isEmpty ? [] : analyzer.queryUnits(text)
        }
    }

    func phrase(_ text: String, _ parts: PhraseParts, prefix: String, matching: WordMatching) -> QueryWord? {
        let terms = parts.terms, units = parts.units
        guard !terms.isEmpty else { return nil }
        if matching == .term, let word = Self.singleWord(units, spelling: terms) {
            // One dictionary word (a synonym such as 国贸中心, a quoted 必不可少): its term is
            // where its characters stand together; weighed as below, the same form reversed.
            let characters = Query.and(terms.map { .term(prefix + $0) })
            return QueryWord(text: text, query: .andMaybe(.term(prefix + word), .scaleWeight(characters, Self.phraseCharacterWeight)),
                             required: true, highlights: [text])
        }
        let characters: Query = terms.count == 1 ? .term(prefix + terms[0]) : .phrase(terms.map { .term(prefix + $0) })
        let words: [Query] = units.filter { $0.kind == .han && $0.spelling.count > 1 }
            .map { .term(prefix + $0.term) }
        let query: Query = words.isEmpty
            ? characters : .andMaybe(.scaleWeight(characters, Self.phraseCharacterWeight), .or(words))
        return QueryWord(text: text, query: query, required: true, highlights: [text])
    }

    /// The term of `units` when they are one Han word of several characters spelt by `spelling`.
    static func singleWord(_ units: [QueryUnit], spelling: [String]) -> String? {
        guard units.count == 1, let unit = units.first, unit.kind == .han, unit.spelling.count > 1,
              unit.spelling == spelling else { return nil }
        return unit.term
    }

    public func normalizeForHighlighting(_ text: String) -> (text: [Unicode.Scalar], origin: [Int]) {
        let n = analyzer.normalizer.normalize(text)
        return (n.scalars, n.origin)
    }

    /// Letters and numbers of any script but Han, as the analyzer's Latin tokens hold them.
    public func continuesLatinWord(_ s: Unicode.Scalar) -> Bool { Analyzer.continuesLatinToken(s) }
}
