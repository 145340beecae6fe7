import PlanAnalyzer

/// Which analyzer turns text into terms.
public enum AnalyzerChoice: String, Sendable, CaseIterable {
    /// PlanSearch's Chinese-aware analyzer.
    case plansearch
    /// Xapian's TermGenerator with FLAG_CJK_NGRAM (the baseline).
    case xapianNgram = "xapian-ngram"
}

extension AnalyzerChoice {
    /// PlanSearch's analyzer with the schema's lexicons and folding, shared in the process (the
    /// lexicon is loaded once).
    public static func planAnalyzer(for schema: Schema) throws -> Analyzer {
        try Analyzer.shared(Analyzer.Options(lexicons: schema.lexiconPaths, foldTraditional: schema.analyzer.foldTraditional))
    }

    /// Makes the analyzer for `schema` (its lexicons, synonyms and folding options).
    public func make(for schema: Schema) throws -> any DocumentAnalyzer {
        switch self {
        case .plansearch: return PlanDocumentAnalyzer(analyzer: try Self.planAnalyzer(for: schema))
        case .xapianNgram: return XapianNgramAnalyzer()
        }
    }

    /// The query side of the same analyzer.
    public func makeQueryAnalyzer(for schema: Schema) throws -> any QueryAnalyzer {
        switch self {
        case .plansearch: return PlanQueryAnalyzer(analyzer: try Self.planAnalyzer(for: schema))
        case .xapianNgram: return XapianNgramQueryAnalyzer()
        }
    }
}
