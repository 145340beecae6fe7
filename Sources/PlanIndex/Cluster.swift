import Foundation
import XapianKit

/// Shards that may live elsewhere: local directories, `xapian-tcpsrv` servers, or programs
/// speaking Xapian's remote protocol (e.g. `ssh host xapian-progsrv DIR`). Read from a JSON file:
///
///     {"shards": [{"path": "/srv/plans/shard-0"},
///                 {"remote": "127.0.0.1:34001", "timeout_ms": 500},
///                 {"program": "ssh", "args": "host xapian-progsrv /srv/plans/shard-2"}],
///      "retry_seconds": 5}
///
/// xapian-tcpsrv has no authentication: serve it on loopback or a private network only.
public struct ClusterConfiguration: Sendable, Equatable {
    public enum Shard: Sendable, Equatable, CustomStringConvertible {
        case local(path: String)
        case remote(host: String, port: Int, timeoutMs: Int)
        case program(program: String, arguments: String, timeoutMs: Int)

        public var description: String {
            switch self {
            case let .local(path): path
            case let .remote(host, port, _): "\(host):\(port)"
            case let .program(program, arguments, _): "\(program) \(arguments)"
            }
        }

        func open() throws -> Database {
            switch self {
            case let .local(path): return try Database(path: path)
            case let .remote(host, port, timeout):
                return try Database(remoteHost: host, port: port, timeout: .milliseconds(timeout),
                                    connectTimeout: .milliseconds(min(timeout, 1000)))
            case let .program(program, arguments, timeout):
                return try Database(remoteProgram: program, arguments: arguments, timeout: .milliseconds(timeout))
            }
        }
    }

    public var shards: [Shard]
    /// How long a shard that failed is left alone before the next try.
    public var retrySeconds: Double

    public init(shards: [Shard], retrySeconds: Double = 5) {
        self.shards = shards
        self.retrySeconds = retrySeconds
    }

    public static func load(path: String) throws -> ClusterConfiguration {
        let fail = { (where_: String, what: String) in IndexError("\(path): \(where_): \(what)") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch { throw fail("$", "cannot read") }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { throw fail("$", "not a JSON object") }
        if let twice = DuplicateKeys.first(in: data) { throw fail(twice, "given twice in one object (only one may be given)") }
        guard let list = root["shards"] as? [[String: Any]], !list.isEmpty else { throw fail("$.shards", "a non-empty array of shards is required") }
        var shards: [Shard] = []
        for (i, item) in list.enumerated() {
            let at = "$.shards[\(i)]"
            let timeout = (item["timeout_ms"] as? Int) ?? 2000
            guard (10...600_000).contains(timeout) else { throw fail(at + ".timeout_ms", "between 10 and 600000") }
            if let p = item["path"] as? String {
                shards.append(.local(path: p))
            } else if let r = item["remote"] as? String {
                let parts = r.split(separator: ":")
                guard parts.count == 2, let port = Int(parts[1]), (1...65535).contains(port) else {
                    throw fail(at + ".remote", "expected HOST:PORT, got \(r)")
                }
                shards.append(.remote(host: String(parts[0]), port: port, timeoutMs: timeout))
            } else if let program = item["program"] as? String {
                shards.append(.program(program: program, arguments: item["args"] as? String ?? "", timeoutMs: timeout))
            } else {
                throw fail(at, "needs \"path\", \"remote\" or \"program\"")
            }
        }
        let retry = (root["retry_seconds"] as? Double) ?? 5
        return ClusterConfiguration(shards: shards, retrySeconds: max(0.1, retry))
    }
}

/// The cluster's shards as one searchable database, minus those that are down: a search is
/// answered from the shards that respond, and says which are missing; a missing shard is tried
/// again after `retrySeconds`. Not Sendable: one per reader thread, like Searcher.
final class ClusterConnection {
    let configuration: ClusterConfiguration
    private(set) var open: [Int: Database] = [:]
    private var failedAt: [Int: Date] = [:]
    private(set) var combined: Database?

    init(_ configuration: ClusterConfiguration) {
        self.configuration = configuration
        refresh(force: true)
    }

    deinit { closeAll() }

    func closeAll() {
        try? combined?.close()
        combined = nil
        for db in open.values { try? db.close() }
        open = [:]
    }

    var missing: [String] {
        configuration.shards.indices.filter { open[$0] == nil }.map { configuration.shards[$0].description }
    }

    /// Opens shards that are due for a retry; rebuilds the combination when anything changed.
    func refresh(force: Bool = false) {
        var changed = force
        for (i, shard) in configuration.shards.enumerated() where open[i] == nil {
            if !force, let t = failedAt[i], Date().timeIntervalSince(t) < configuration.retrySeconds { continue }
            do {
                open[i] = try shard.open()
                failedAt[i] = nil
                changed = true
            } catch {
                failedAt[i] = Date()
            }
        }
        if changed { rebuild() }
    }

    /// After a network error: reconnects every shard (a query cut short can leave the remote
    /// protocol of the healthy ones out of step too) and leaves out those that do not answer.
    func dropFailed() {
        try? combined?.close()
        combined = nil
        for db in open.values { try? db.close() }
        open = [:]
        for (i, shard) in configuration.shards.enumerated() {
            do {
                let db = try shard.open()
                _ = try db.documentCount()
                open[i] = db
                failedAt[i] = nil
            } catch {
                failedAt[i] = Date()
            }
        }
        rebuild()
    }

    private func rebuild() {
        // Only the handle: closing a combination would close the shards it shares.
        combined?.release()
        let live = configuration.shards.indices.compactMap { open[$0] }
        combined = live.isEmpty ? nil : try? Database(combining: live)
    }

    var shardDatabases: [Database] { configuration.shards.indices.compactMap { open[$0] } }
}
