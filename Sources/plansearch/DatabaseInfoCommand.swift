import ArgumentParser
import Foundation
import PlanIndex
import XapianKit

/// `plansearch db-info`: what a Xapian database holds, for checking an index by hand.
struct DatabaseInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db-info", abstract: "Show document count, average length and term prefixes of a database.")

    @Option(help: "The database directory.")
    var db: String

    @Option(help: "Also list up to this many terms starting with --prefix.")
    var terms = 0

    @Option(help: "Term prefix for --terms.")
    var prefix = ""

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Info: Encodable {
        var path: String
        var documents: Int
        var lastDocumentID: UInt32
        var averageLength: Double
        var terms: [Term]
        struct Term: Encodable {
            var term: String
            var documents: Int
        }
    }

    func run() throws {
        let database: Database
        var shards: [Database] = []
        do {
            // A sharded index: its shards, searched as one (as the daemon does).
            let paths = try ShardLayout.databasePaths(db)
            shards = try paths.map { try Database(path: $0) }
            database = shards.count == 1 ? shards[0] : try Database(combining: shards)
        } catch {
            for shard in shards { try? shard.close() }
            // Not a usage mistake: no usage text, exit 1 (ArgumentParser's ValidationError
            // printed the usage and exited 64).
            throw CommandError("cannot open \(db): \(error)")
        }
        defer {
            try? database.close()
            for shard in shards where shard !== database { try? shard.close() }
        }
        let info = Info(
            path: db,
            documents: try database.documentCount(),
            lastDocumentID: try database.lastDocumentID(),
            averageLength: try database.averageLength(),
            terms: try database.allTerms(prefix: prefix, limit: terms).map {
                Info.Term(term: $0.term, documents: $0.frequency)
            })
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(info), as: UTF8.self))
        } else {
            print("database:       \(info.path)")
            print("documents:      \(info.documents)")
            print("last docid:     \(info.lastDocumentID)")
            print("average length: \(String(format: "%.1f", info.averageLength))")
            for term in info.terms { print("  \(term.term)\t\(term.documents)") }
        }
    }
}
