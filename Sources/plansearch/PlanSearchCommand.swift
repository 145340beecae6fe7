import ArgumentParser

/// The `plansearch` binary: one executable, a subcommand per job. Each subcommand only parses
/// arguments and formats output; the work lives in the libraries.
@main
struct PlanSearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plansearch",
        abstract: "Full-text search for Chinese-language planning documents.",
        version: PlanSearchVersion.string,
        subcommands: [VersionCommand.self, IndexCommand.self, SectionsCommand.self, DatabaseInfoCommand.self]
    )
}
