import ArgumentParser
import Foundation
import PlanIndex

/// `plansearch index`: index plan files into a database, incrementally.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index", abstract: "Index plan files and directories (incrementally).")

    @Option(help: "The index directory (created if missing).")
    var db: String

    @OptionGroup var indexing: IndexingOptions

    @Option(help: "Split a new index over N shards (written in parallel; searched as one).")
    var shards: Int?

    @Flag(help: "Wait for another indexer or daemon to release the index instead of failing.")
    var wait = false

    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    @Argument(help: "Files and directories to index.")
    var paths: [String]

    func run() throws {
        let loaded = try indexing.loadSchema()
        let choice = try indexing.analyzerChoice()
        let summary: IndexSummary
        if wait, (try? ShardLayout.databasePaths(db))?.contains(where: { Indexer.isLocked(databasePath: $0) }) == true {
            // Said before waiting: a daemon holds the lock for as long as it runs, so the wait
            // may never end by itself.
            FileHandle.standardError.write(Data(
                "waiting for \(db): another indexer or a running daemon writes it (a daemon never lets go; ask it to reindex: plansearch reindex)\n".utf8))
        }
        do {
            if let layout = try shards.map({ try ShardLayout.create(db, count: $0) }) ?? ShardLayout.read(db) {
                summary = try ShardedIndexing.index(layout: layout, schema: loaded, analyzer: choice, paths: paths, waitForLock: wait,
                                                    compactingNewIndex: true)
            } else {
                let indexer = try Indexer(databasePath: db, schema: loaded, analyzer: try choice.make(for: loaded), waitForLock: wait)
                let bar = ProgressBar()
                indexer.progress = { done, total, file in bar.update(done: done, total: total, item: file) }
                defer { bar.finish() }
                var built = try indexer.index(paths: paths)
                built.compaction = try indexer.close(compactingNewIndex: true)
                summary = built
            }
        } catch let error as IndexError {
            throw CommandError(error.description)
        }
        if json {
            print(try CommandSupport.jsonString(summary))
        } else {
            print(SummaryText.render(summary))
        }
        if summary.failed > 0 { throw ExitCode(1) }
    }
}

enum SummaryText {
    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }

    static func render(_ s: IndexSummary) -> String {
        let rules = s.rulesChanged > 0 ? " (\(s.rulesChanged) of them reindexed under changed rules)" : ""
        var lines = ["documents: \(s.added) added, \(s.updated) updated\(rules), \(s.unchanged) unchanged, "
                     + "\(s.removed) removed, \(s.renamed) renamed, \(s.failed) failed",
                     "sections:  \(s.sectionsAdded) added, \(s.sectionsRemoved) removed; "
                     + "index holds \(s.documents) documents, \(s.sections) sections",
                     String(format: "took %.2f s", s.seconds)]
        if let c = s.compaction {
            let sizes = "\(megabytes(c.bytesBefore)) -> \(megabytes(c.bytesAfter)) on disk"
            lines.append(c.skipped.map { "not compacted (\($0)): " + (c.bytesAfter < c.bytesBefore ? sizes : "\(megabytes(c.bytesBefore)) on disk") }
                         ?? "compacted: " + sizes)
        }
        for failure in s.failures { lines.append("failed: \(failure.file): \(failure.message)") }
        return lines.joined(separator: "\n")
    }
}

/// A one-line progress bar on stderr, drawn only when stderr is a terminal and the run is long
/// enough to need one.
final class ProgressBar {
    private let enabled = isatty(2) == 1
    private let started = Date()
    private var drawn = false

    func update(done: Int, total: Int, item: String) {
        guard enabled, total > 0, Date().timeIntervalSince(started) > 0.5 else { return }
        let width = 30
        let filled = width * done / total
        let bar = String(repeating: "█", count: filled) + String(repeating: " ", count: width - filled)
        let name = item.count > 40 ? "…" + item.suffix(39) : item
        FileHandle.standardError.write(Data("\r\u{1B}[K▕\(bar)▏ \(done)/\(total) \(name)".utf8))
        drawn = true
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        drawn = false
    }
}
