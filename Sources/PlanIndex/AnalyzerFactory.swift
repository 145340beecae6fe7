/// Which analyzer turns text into terms.
public enum AnalyzerChoice: String, Sendable, CaseIterable {
    /// PlanSearch's Chinese-aware analyzer.
    case plansearch
    /// Xapian's TermGenerator with FLAG_CJK_NGRAM (the baseline).
    case xapianNgram = "xapian-ngram"
}

extension AnalyzerChoice {
    /// Makes the analyzer for `schema` (its lexicons, synonyms and folding options).
    public func make(for schema: Schema) throws -> any DocumentAnalyzer {
        switch self {
        case .plansearch, .xapianNgram:
            return XapianNgramAnalyzer()
        }
    }
}

extension AnalyzerChoice {
    /// The query side of the same analyzer.
    public func makeQueryAnalyzer(for schema: Schema) throws -> any QueryAnalyzer {
        switch self {
        case .plansearch, .xapianNgram:
            return XapianNgramQueryAnalyzer()
        }
    }
}
