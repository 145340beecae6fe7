import Foundation
import Logging
import PlanIndex
import PlanProtocol
import Synchronization

/// What the daemon was started with.
public struct DaemonConfiguration: Sendable {
    public var databasePath: String
    public var socketPath: String
    public var schema: Schema
    public var analyzer: AnalyzerChoice
    /// The roots given at start: `reindex` works only under them.
    public var roots: [String]
    public var readers: Int
    /// Bytes (an estimate) of recently shown sections each reader keeps; 0 keeps none.
    public var sectionCacheBytes: Int = Searcher.defaultSectionCacheBudget
    public var maxConnections: Int
    /// When all `maxConnections` are taken, a connection idle at least this long is closed to
    /// let a new one in (the one idle longest); nil never closes one. Without this, clients
    /// that connect and never hang up would lock everyone else out for good.
    public var evictIdleAfter: Duration? = .seconds(2)
    public var version: String
    /// Search these shards (local and remote) instead of `databasePath`; no writer then.
    public var cluster: ClusterConfiguration?
    /// Reads the schema again from where it came from: a `reindex` that finds the schema or
    /// synonyms file changed uses it (nil: the schema given is kept for the daemon's life).
    public var reloadSchema: (@Sendable () throws -> Schema)?

    public init(databasePath: String, socketPath: String, schema: Schema, analyzer: AnalyzerChoice,
                roots: [String], readers: Int = 2, maxConnections: Int = 64, version: String,
                cluster: ClusterConfiguration? = nil, reloadSchema: (@Sendable () throws -> Schema)? = nil) {
        self.cluster = cluster
        self.reloadSchema = reloadSchema
        self.databasePath = databasePath
        self.socketPath = socketPath
        self.schema = schema
        self.analyzer = analyzer
        self.roots = roots.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        self.readers = readers
        self.maxConnections = maxConnections
        self.version = version
    }
}

/// Turns request lines into response lines: parsing, validation, dispatch to the readers or
/// the writer, error mapping. Knows nothing of sockets, so it is tested directly.
public final class Router: Sendable {
    let configuration: DaemonConfiguration
    let readers: ReaderPool
    /// One writer per database (per shard of a sharded index), each on its own thread.
    let writers: [ConfinedWorker<Indexer>]
    /// The index's shard layout; nil for one database (or a cluster, written elsewhere).
    let shardLayout: ShardLayout?
    let stats = DaemonStats()
    /// Requests being answered (`respond` to its reply): `shutdown` waits for them.
    private let inFlight = Atomic<Int>(0)
    let logger: Logger
    /// The schema searches and reindexes work under now: the one given, or one read again.
    let live: LiveSchema

    public init(configuration: DaemonConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let config = configuration
        let documentAnalyzer = try config.analyzer.make(for: config.schema)
        let queryAnalyzer = try config.analyzer.makeQueryAnalyzer(for: config.schema)
        let live = LiveSchema(schema: config.schema, queryAnalyzer: queryAnalyzer,
                              synonyms: try Searcher.loadSynonyms(config.schema, queryAnalyzer))
        self.live = live
        // The writers open first so that the databases exist before any reader opens them.
        let layout = try ShardLayout.read(config.databasePath)
        // A cluster's shards are written where they live, not by this daemon.
        let paths = config.cluster != nil ? [] : layout?.shardPaths ?? [config.databasePath]
        shardLayout = config.cluster != nil ? nil : layout
        writers = try paths.enumerated().map { shard, path in
            @Sendable func open(_ schema: Schema, _ analyzer: any DocumentAnalyzer, waitForLock: Bool) throws -> Indexer {
                let indexer = try Indexer(databasePath: path, schema: schema, analyzer: analyzer, waitForLock: waitForLock)
                layout?.restrict(indexer, toShard: shard)
                return indexer
            }
            // Created here before any use; from here on touched only by the worker's queue. Made
            // again (under the schema of the moment) only after the start-up compaction, which
            // let go of the lock for a moment: an indexer that took it then is waited for.
            let first = FirstUse(try open(config.schema, documentAnalyzer, waitForLock: false))
            return ConfinedWorker(label: "plansearch.writer.\(shard)") {
                if let indexer = first.take() { return indexer }
                let schema = live.current.0
                return try open(schema, try config.analyzer.make(for: schema), waitForLock: true)
            }
        }
        readers = ReaderPool(count: max(1, config.readers)) {
            let (schema, queryAnalyzer, synonyms) = live.current
            if let cluster = config.cluster {
                return try Searcher(cluster: cluster, schema: schema, analyzer: queryAnalyzer, synonyms: synonyms)
            }
            let searcher = try Searcher(databasePath: config.databasePath, schema: schema, analyzer: queryAnalyzer, synonyms: synonyms)
            searcher.sectionCacheBudget = config.sectionCacheBytes
            return searcher
        }
    }

    /// Before a reindex: when the schema file or its synonyms file has changed since it was
    /// read, reads it again; the writers index under it from this run on (files indexed under
    /// the old rules are indexed again) and the readers are made again with it (ranking,
    /// synonyms). A schema that now has a mistake is `schema_error`, and everything goes on
    /// under the one read before. (Lexicons are read once: an edited lexicon needs a restart.)
    func refreshSchema() async throws {
        guard let reload = configuration.reloadSchema else { return }
        let (current, _, _) = live.current
        // Taken before reading: a file edited while it is read is read again at the next reindex.
        let seen = SchemaStamp(of: current)
        guard seen != live.stamp else { return }
        let fresh: Schema
        let documentAnalyzer: any DocumentAnalyzer
        let queryAnalyzer: any QueryAnalyzer
        let synonyms: SynonymTable
        do {
            fresh = try reload()
            documentAnalyzer = try configuration.analyzer.make(for: fresh)
            queryAnalyzer = try configuration.analyzer.makeQueryAnalyzer(for: fresh)
            // Read once, here, for every reader: read by each reader when it is made again, a
            // file broken meanwhile would leave that reader unmade and its searches failing.
            synonyms = try Searcher.loadSynonyms(fresh, queryAnalyzer)
        } catch {
            throw ProtocolError(.schemaError, "the schema changed since the daemon read it and has a mistake: \(error); "
                                + "nothing was reindexed, and the daemon goes on under the schema it read before")
        }
        for writer in writers {
            try await writer.run { $0.reconfigure(schema: fresh, analyzer: documentAnalyzer) }
        }
        live.replace(schema: fresh, queryAnalyzer: queryAnalyzer, synonyms: synonyms, stamp: seen)
        readers.configuration.add(1, ordering: .releasing)
        logger.info("schema read again", metadata: ["schema": "\(fresh.file)"])
    }

    /// Indexes `paths` (or every root) on the writer's thread; readers reopen afterwards.
    public func reindex(paths: [String]?) async throws -> IndexSummary {
        guard !writers.isEmpty else {
            throw ProtocolError(.invalidRequest, "this daemon searches a cluster; reindex each shard where it is written")
        }
        if let paths, paths.isEmpty {
            throw ProtocolError(.invalidParams, "\"paths\" is empty; leave it out to reindex every root")
        }
        // A path given twice (or a file and a folder holding it) is indexed once.
        var seen = Set<String>()
        let targets = try (paths ?? configuration.roots).map { try allowedPath($0) }.filter { seen.insert($0).inserted }
        guard !targets.isEmpty else { throw ProtocolError(.invalidParams, "the daemon was started without paths to index") }
        try await refreshSchema()
        // Shards are indexed in parallel, each by its own writer.
        let sharing = writers.count > 1 ? shardLayout?.sharedSectioning() : nil
        let parts = try await withThrowingTaskGroup(of: IndexSummary.self) { group in
            for writer in writers {
                group.addTask {
                    try await writer.run { indexer in
                        indexer.sharedSectioning = sharing
                        defer { indexer.sharedSectioning = nil }
                        do {
                            return try indexer.index(paths: targets)
                        } catch {
                            sharing?.writerStopped()
                            throw error
                        }
                    }
                }
            }
            var parts: [IndexSummary] = []
            for try await part in group { parts.append(part) }
            return parts
        }
        // With sections spread over shards, every shard reports every document: counted once.
        let summary = shardLayout?.merge(parts) ?? parts.reduce(into: IndexSummary()) { $0.merge($1) }
        readers.generation.add(1, ordering: .releasing)
        logger.info("reindexed", metadata: [
            "added": "\(summary.added)", "updated": "\(summary.updated)", "removed": "\(summary.removed)",
            "failed": "\(summary.failed)", "seconds": "\(String(format: "%.3f", summary.seconds))",
        ])
        return summary
    }

    /// Compacts in place each database this daemon created, or whose compaction a killed run
    /// left unfinished (see `Indexer.close(compactingNewIndex:)`), then opens its writer again
    /// on the compacted one.
    /// For the start-up build of a new index, before the daemon serves: no reader has the old
    /// files open, and no request can reach a writer while it is closed.
    public func compactNewIndex() async throws -> IndexCompaction? {
        var merged: IndexCompaction?
        for writer in writers {
            guard let part = try await writer.run({ indexer in
                indexer.compactsWhenNew ? try indexer.close(compactingNewIndex: true) : nil
            }) else { continue }
            // The old handle went with the old copy; the next writer opens the compacted index.
            try await writer.run(renew: true) { _ in }
            if merged == nil { merged = part } else { merged?.merge(part) }
        }
        // Readers made meanwhile (none, before serving) would hold the old files: made again.
        if merged != nil { readers.configuration.add(1, ordering: .releasing) }
        return merged
    }

    /// A path for `reindex`: it must lie under a root the daemon was started with.
    func allowedPath(_ path: String) throws(ProtocolError) -> String {
        // Relative to what? The daemon's working directory is not the client's.
        guard path.hasPrefix("/") else {
            throw ProtocolError(.invalidParams, "\(path) is a relative path; give it from the root directory (/...)")
        }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        for root in configuration.roots {
            let resolvedRoot = URL(fileURLWithPath: root).resolvingSymlinksInPath().path
            if absolute == resolvedRoot || absolute.hasPrefix(resolvedRoot + "/") {
                // Index under the root as given, so document ids stay relative to it.
                return root + absolute.dropFirst(resolvedRoot.count)
            }
        }
        throw ProtocolError(.invalidParams, "\(path) is not under a root this daemon indexes (\(configuration.roots.joined(separator: ", ")))")
    }

    /// Answers one request line with one response line.
    public func respond(to line: [UInt8]) async -> [UInt8] {
        await withCheckedContinuation { continuation in respond(to: line) { continuation.resume(returning: $0) } }
    }

    /// Answers one request line through `reply`, called once, on any thread. A search or `get`
    /// is parsed here and its answer made and encoded on a reader's thread, which replies: no
    /// task is scheduled on the way (each hop between threads cost tens of microseconds, a
    /// tenth of a quick search). A ping is answered at once; other methods run as a task.
    public func respond(to line: [UInt8], reply: @escaping @Sendable ([UInt8]) -> Void) {
        let started = ContinuousClock.now
        inFlight.add(1, ordering: .relaxed)
        let finish: @Sendable ([UInt8], Bool, String) -> Void = { [self] bytes, failed, method in
            inFlight.subtract(1, ordering: .releasing)
            let ms = Indexer.seconds(ContinuousClock.now - started) * 1000
            stats.record(latencyMs: ms, failed: failed)
            logger.debug("request", metadata: ["method": "\(method)", "ms": "\(String(format: "%.2f", ms))", "failed": "\(failed)"])
            reply(bytes)
        }
        let request: Request
        switch Request.parse(line) {
        case let .success(r): request = r
        case let .failure(error): return finish(Response.error(id: error.id, error), true, "-")
        }
        if request.method == "ping" {
            // Answered here: it needs no reader, and a task cost more than the answer (editors
            // and scripts ping to see whether a daemon is up).
            return finish(Response.result(id: request.id, PingResult(version: configuration.version)), false, request.method)
        }
        let onReader: (@Sendable (Searcher) throws -> [UInt8])?
        do {
            onReader = try readerWork(request)
        } catch {
            return finish(errorResponse(request, error), true, request.method)
        }
        if let onReader {
            readers.submit(onReader) { [self] result in
                switch result {
                case let .success(bytes): finish(bytes, false, request.method)
                case let .failure(error): finish(errorResponse(request, error), true, request.method)
                }
            }
            return
        }
        Task {
            do {
                finish(try await dispatch(request), false, request.method)
            } catch {
                finish(errorResponse(request, error), true, request.method)
            }
        }
    }

    /// The error line answering `request`.
    private func errorResponse(_ request: Request, _ error: Error) -> [UInt8] {
        switch error {
        case let error as ProtocolError: return Response.error(id: request.id, error)
        case let error as IndexError: return Response.error(id: request.id, ProtocolError(.internalError, error.description))
        default:
            logger.error("request failed", metadata: ["method": "\(request.method)", "error": "\(error)"])
            return Response.error(id: request.id, ProtocolError(.internalError, "\(error)"))
        }
    }

    /// A search's or `get`'s whole work on a reader, encoding included (nil for other methods);
    /// its params are checked first, here.
    private func readerWork(_ request: Request) throws -> (@Sendable (Searcher) throws -> [UInt8])? {
        let id = request.id
        switch request.method {
        case "search":
            let params = try request.decodeParams(SearchParams.self).validated()
            return { Response.result(id: id, try $0.search(params)) }
        case "get":
            let params = try request.decodeParams(GetParams.self)
            guard !params.id.isEmpty else { throw ProtocolError(.invalidParams, "\"id\" is empty: give a section id from a hit") }
            return { searcher in
                guard let section = try searcher.section(id: params.id) else {
                    throw ProtocolError(.notFound, "no section with id \(params.id)")
                }
                return Response.result(id: id, section)
            }
        default:
            return nil
        }
    }

    /// The methods `readerWork` leaves to a task (search, `get` and ping never come here).
    private func dispatch(_ request: Request) async throws -> [UInt8] {
        switch request.method {
        case "documents":
            let records = try await readers.run { try $0.documents() }
            let formatter = ISO8601DateFormatter()
            let documents = records.sorted { $0.id < $1.id }.map {
                DocumentInfo(id: $0.id, title: $0.title, path: $0.file, sections: $0.sections, hash: $0.hash,
                             indexed: formatter.string(from: Date(timeIntervalSince1970: $0.indexedAt)), year: $0.year)
            }
            return Response.result(id: request.id, DocumentsResult(documents: documents))
        case "stats":
            let (documents, sections) = try await readers.run { s in (try s.documents().count, try s.sectionCount()) }
            let snapshot = stats.snapshot()
            let result = StatsResult(
                documents: documents, sections: sections, indexBytes: DiskUsage.bytes(under: configuration.databasePath),
                uptimeS: (Date().timeIntervalSince(stats.started) * 10).rounded() / 10, requests: snapshot.requests,
                errors: snapshot.errors, connections: snapshot.connections,
                latencyMs: .init(p50: snapshot.p50, p90: snapshot.p90, p99: snapshot.p99, max: snapshot.max),
                database: configuration.databasePath)
            return Response.result(id: request.id, result)
        case "reindex":
            let params = try request.decodeParams(ReindexParams.self)
            let summary = try await reindex(paths: params.paths)
            return Response.result(id: request.id, summary)
        default:
            throw ProtocolError(.methodNotFound, "no method \"\(request.method)\" (ping, search, get, documents, stats, reindex)")
        }
    }

    /// Closes the readers and writers once every request under way has been answered (a
    /// reindex stopped between its shards' writers would be half applied).
    public func shutdown() async {
        while inFlight.load(ordering: .acquiring) > 0 { try? await Task.sleep(for: .milliseconds(5)) }
        await readers.shutdown()
        for writer in writers { await writer.shutdown { indexer in try? indexer.close() } }
    }
}

/// Moves a value that is not Sendable to the one thread that will own it from then on: handed
/// out once, to the first `take()`.
final class FirstUse<T>: @unchecked Sendable {
    // @unchecked: taken on the one queue that uses it (a ConfinedWorker's), after being set in init.
    private var value: T?
    init(_ value: T) { self.value = value }
    func take() -> T? {
        defer { value = nil }
        return value
    }
}

/// What a schema was read from: the schema file's and its synonyms file's bytes. A change to
/// either means the schema is read again at the next reindex.
struct SchemaStamp: Equatable, Sendable {
    var schema: Data?
    var synonyms: Data?

    init(of schema: Schema) {
        self.schema = FileManager.default.contents(atPath: schema.file)
        synonyms = schema.synonymsPath.flatMap { FileManager.default.contents(atPath: $0) }
    }
}

/// The schema (and the query analyzer made for it) a daemon works under, replaced when a
/// reindex reads an edited one.
final class LiveSchema: Sendable {
    private struct State {
        var schema: Schema
        var queryAnalyzer: any QueryAnalyzer
        var synonyms: SynonymTable
        var stamp: SchemaStamp
    }
    private let state: Mutex<State>

    init(schema: Schema, queryAnalyzer: any QueryAnalyzer, synonyms: SynonymTable) {
        state = Mutex(State(schema: schema, queryAnalyzer: queryAnalyzer, synonyms: synonyms, stamp: SchemaStamp(of: schema)))
    }

    var current: (Schema, any QueryAnalyzer, SynonymTable) { state.withLock { ($0.schema, $0.queryAnalyzer, $0.synonyms) } }
    var stamp: SchemaStamp { state.withLock { $0.stamp } }

    func replace(schema: Schema, queryAnalyzer: any QueryAnalyzer, synonyms: SynonymTable, stamp: SchemaStamp) {
        state.withLock { $0 = State(schema: schema, queryAnalyzer: queryAnalyzer, synonyms: synonyms, stamp: stamp) }
    }
}
