import ArgumentParser
import PlanIndex

/// The options every command that reads plans shares: which schema and which analyzer.
struct IndexingOptions: ParsableArguments {
    @Option(help: "Schema name (in IndexSchemas/) or path to a schema file.")
    var schema = "un-plan"

    @Option(help: "Analyzer: plansearch or xapian-ngram (the baseline).")
    var analyzer = "plansearch"

    func loadSchema() throws -> Schema { try CommandSupport.loadSchema(schema) }

    func analyzerChoice() throws -> AnalyzerChoice {
        guard let choice = AnalyzerChoice(rawValue: analyzer) else {
            throw ValidationError("unknown analyzer \(analyzer) (plansearch or xapian-ngram)")
        }
        return choice
    }
}
