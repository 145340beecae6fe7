import ArgumentParser

/// The `plansearch` binary: one executable, a subcommand per job. Each subcommand only parses
/// arguments and formats output; the work lives in the libraries.
@main
struct PlanSearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plansearch",
        abstract: "Full-text search for Chinese-language planning documents.",
        version: PlanSearchVersion.string,
        subcommands: [
            IndexCommand.self, ServeCommand.self, SearchCommand.self, GetCommand.self, DocumentsCommand.self,
            StatsCommand.self, ReindexCommand.self, SectionsCommand.self, AnalyzeCommand.self, DatabaseInfoCommand.self, VersionCommand.self,
        ]
    )
}
