import ArgumentParser
import Dispatch
import Foundation
import Logging
import PlanDaemon
import PlanIndex

/// `plansearch serve`: index the given paths, then answer requests on the socket until SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the search daemon on a Unix socket.")

    @Option(help: "The index directory (created if missing).")
    var db: String?

    @Option(help: "Search the shards listed in this JSON file (local and remote; see docs/cluster.md) instead of --db.")
    var cluster: String?

    @Option(help: "The socket path (default: $PLANSEARCH_SOCKET, else $XDG_RUNTIME_DIR/plansearch/plansearch.sock, else ~/.cache/plansearch/plansearch.sock).")
    var socket: String?

    @OptionGroup var indexing: IndexingOptions

    @Option(help: "Reader threads answering searches in parallel.")
    var readers = 2

    @Option(help: "Megabytes of recently shown sections each reader keeps decoded (0: none).")
    var sectionCacheMb = Searcher.defaultSectionCacheBudget >> 20

    @Option(help: "Most connections at once; more get `overloaded`.")
    var maxConnections = 64

    @Option(help: ArgumentHelp("When all connections are taken, close the one idle longest, if idle this many seconds, to let a new one in (0: never).",
                               valueName: "seconds"))
    var evictIdleAfter = 2.0

    @Flag(help: "Watch the paths (inotify) and reindex when files change.")
    var watch = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Argument(help: "Files and directories to index at start (and the only places `reindex` may touch).")
    var paths: [String] = []

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("unknown log level \(logLevel)")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "plansearch")
        let loaded = try indexing.loadSchema()
        let choice = try indexing.analyzerChoice()
        guard (db == nil) != (cluster == nil) else { throw ValidationError("give either --db or --cluster") }
        guard evictIdleAfter == 0 || (0.01...86_400).contains(evictIdleAfter) else {
            throw ValidationError("--evict-idle-after must be 0 (never) or from 0.01 to 86400 seconds")
        }
        guard (0...(1 << 20)).contains(sectionCacheMb) else {
            throw ValidationError("--section-cache-mb must be from 0 to \(1 << 20)")
        }
        let clusterConfiguration: ClusterConfiguration?
        do {
            clusterConfiguration = try cluster.map { try ClusterConfiguration.load(path: $0) }
        } catch {
            throw CommandError("\(error)")
        }
        let socketPath = socket ?? SocketLocation.defaultPath()
        do {
            try SocketLocation.prepare(socketPath)
        } catch {
            throw CommandError("\(error)")
        }
        let daemon: Daemon
        do {
            var configuration = DaemonConfiguration(
                databasePath: db ?? "", socketPath: socketPath, schema: loaded, analyzer: choice, roots: paths,
                readers: readers, maxConnections: maxConnections, version: PlanSearchVersion.string,
                cluster: clusterConfiguration, reloadSchema: { [indexing] in try indexing.loadSchema() })
            configuration.sectionCacheBytes = sectionCacheMb << 20
            configuration.evictIdleAfter = evictIdleAfter > 0 ? .milliseconds(Int64(evictIdleAfter * 1000)) : nil
            daemon = try Daemon(configuration: configuration, logger: logger)
        } catch let error as IndexError {
            throw CommandError(error.description)
        }
        // Signals arrive on a dispatch source, not in a C handler, so shutting down can log and
        // close channels safely.
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        signal(SIGPIPE, SIG_IGN)
        let sources = [SIGTERM, SIGINT].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { daemon.requestShutdown() }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        if !paths.isEmpty {
            let summary = try await daemon.router.reindex(paths: nil)
            logger.info("indexed at start", metadata: ["documents": "\(summary.documents)", "sections": "\(summary.sections)",
                                                      "failed": "\(summary.failed)"])
            for failure in summary.failures {
                logger.warning("not indexed", metadata: ["file": "\(failure.file)", "reason": "\(failure.message)"])
            }
            // A new index, built just now: compacted before anyone reads it.
            if let compaction = try await daemon.router.compactNewIndex() {
                let sizes: Logger.Metadata = ["before": "\(compaction.bytesBefore)", "after": "\(compaction.bytesAfter)"]
                if let reason = compaction.skipped {
                    logger.warning("new index not compacted", metadata: sizes.merging(["reason": "\(reason)"]) { $1 })
                } else {
                    logger.info("compacted the new index", metadata: sizes)
                }
            }
        }
        if watch {
            do {
                try daemon.watchRoots()
            } catch {
                throw CommandError("\(error)")
            }
        }
        try await daemon.run()
    }
}
