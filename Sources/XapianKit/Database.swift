import CXapian
import Synchronization
import Glibc  // PlanSearch targets Linux (Debian); write(2) for unbuffered diagnostics

/// A reader over one Xapian database, or over several searched as one (shards).
///
/// Not `Sendable`: a Xapian handle must stay on the thread (or actor, or serial queue) that uses
/// it, and the compiler enforces that. Give each thread its own reader; results (``SearchResults``,
/// ``StoredDocument``) are plain values and cross threads freely.
///
/// Close explicitly with ``close()``. `deinit` frees the handle either way, and in debug builds
/// reports a handle that was never closed (see ``XapianDiagnostics``), because a writer dropped
/// without `close()` or `commit()` loses its errors.
public class Database {
    let rawHandle: OpaquePointer
    public private(set) var isClosed = false
    /// The directory this was opened from; empty for a combination of shards.
    public let path: String

    init(handle: OpaquePointer, path: String) {
        rawHandle = handle
        self.path = path
    }

    /// Opens the database at `path` for reading.
    /// Throws `.databaseNotFound` when there is none, `.databaseCorrupt` when it is damaged.
    public convenience init(path: String) throws(XapianError) {
        let handle = try shimCall { err in
            withBytes(path) { pxs_database_open($0, $1, err) }
        }
        guard let handle else {
            throw XapianError(code: .unknown, type: "unknown", message: "open returned no handle")
        }
        self.init(handle: handle, path: path)
    }

    /// A shard served by `xapian-tcpsrv` on `host:port`. Operations taking longer than
    /// `timeout` fail with `.networkTimeout`; an unreachable server with `.network`.
    public convenience init(remoteHost host: String, port: Int, timeout: Duration = .seconds(2),
                            connectTimeout: Duration = .seconds(1)) throws(XapianError) {
        guard (1...65535).contains(port) else {
            throw XapianError(code: .invalidArgument, type: "InvalidArgumentError", message: "port \(port) out of range")
        }
        let handle = try shimCall { err in
            withBytes(host) {
                pxs_database_open_remote_tcp($0, $1, UInt32(port), Self.milliseconds(timeout),
                                             Self.milliseconds(connectTimeout), err)
            }
        }
        guard let handle else { throw XapianError(code: .unknown, type: "unknown", message: "no handle") }
        self.init(handle: handle, path: "tcp://\(host):\(port)")
    }

    /// A shard reached through a program speaking Xapian's remote protocol on stdin/stdout,
    /// e.g. program "ssh", arguments "host xapian-progsrv /srv/plans/shard-0".
    public convenience init(remoteProgram program: String, arguments: String,
                            timeout: Duration = .seconds(10)) throws(XapianError) {
        let handle = try shimCall { err in
            withBytes(program) { p, pn in
                withBytes(arguments) { a, an in
                    pxs_database_open_remote_program(p, pn, a, an, Self.milliseconds(timeout), err)
                }
            }
        }
        guard let handle else { throw XapianError(code: .unknown, type: "unknown", message: "no handle") }
        self.init(handle: handle, path: "prog://\(program) \(arguments)")
    }

    static func milliseconds(_ d: Duration) -> UInt32 {
        let (s, atto) = d.components
        return UInt32(clamping: s * 1000 + atto / 1_000_000_000_000_000)
    }

    /// Several databases searched as one (Xapian's `add_database`): statistics are merged, so
    /// BM25 ranks as if they were one database. The shards stay usable and still need closing.
    public convenience init(combining shards: [Database]) throws(XapianError) {
        let handle = try shimCall { err in pxs_database_new_empty(err) }
        guard let handle else {
            throw XapianError(code: .unknown, type: "unknown", message: "no handle")
        }
        self.init(handle: handle, path: "")
        for shard in shards {
            do {
                let shardHandle = try shard.live()
                _ = try shimCall { err in pxs_database_add(handle, shardHandle, err) }
            } catch {
                isClosed = true  // never handed out: freeing it is all the closing it needs
                throw error
            }
        }
    }

    deinit {
        if !isClosed { XapianDiagnostics.noteUnclosed(kind: Self.kindName, path: path) }
        pxs_database_free(rawHandle)
    }

    class var kindName: String { "Database" }

    /// The handle, or `.databaseClosed`: Xapian answers some questions from cached statistics
    /// even after close, and a closed database should refuse all of them alike.
    func live() throws(XapianError) -> OpaquePointer {
        guard !isClosed else {
            throw XapianError(code: .databaseClosed, type: "DatabaseClosedError",
                              message: "the database at \(path.isEmpty ? "(combined)" : path) was closed")
        }
        return rawHandle
    }

    /// Lets go of this handle without closing the databases behind it: for a combination whose
    /// shards stay open (Xapian's close() on a combination closes the shards too).
    public func release() {
        isClosed = true
    }

    /// Closes the database. Using it afterwards throws `.databaseClosed`; closing twice is fine.
    public func close() throws(XapianError) {
        guard !isClosed else { return }
        isClosed = true
        _ = try shimCall { err in pxs_database_close(rawHandle, err) }
    }

    /// Moves to the newest committed revision. Returns whether anything changed.
    /// A reader that has missed more than one commit throws `.databaseModified` from searches and
    /// lookups until it is reopened.
    @discardableResult
    public func reopen() throws(XapianError) -> Bool {
        let handle = try live()
        var changed = false
        _ = try shimCall { err in pxs_database_reopen(handle, &changed, err) }
        return changed
    }

    /// Writes a compacted copy of this database, with the same document ids, into `directory`,
    /// which must not exist yet. Xapian leaves every block a commit touched partly empty, so an
    /// index built with frequent commits is about twice its compacted size.
    public func compact(into directory: String) throws(XapianError) {
        let handle = try live()
        _ = try shimCall { err in withBytes(directory) { pxs_database_compact(handle, $0, $1, err) } }
    }

    public func documentCount() throws(XapianError) -> Int {
        let handle = try live()
        return Int(try shimCall { err in pxs_database_doccount(handle, err) })
    }

    public func lastDocumentID() throws(XapianError) -> UInt32 {
        let handle = try live()
        return try shimCall { err in pxs_database_lastdocid(handle, err) }
    }

    /// Average document length in terms (wdf sum), which BM25 normalises by.
    public func averageLength() throws(XapianError) -> Double {
        let handle = try live()
        return try shimCall { err in pxs_database_avlength(handle, err) }
    }

    /// How many documents contain `term`.
    public func termFrequency(_ term: String) throws(XapianError) -> Int {
        let handle = try live()
        return Int(try shimCall { err in withBytes(term) { pxs_database_termfreq(handle, $0, $1, err) } })
    }

    /// How many times `term` occurs in all documents together.
    public func collectionFrequency(_ term: String) throws(XapianError) -> Int {
        let handle = try live()
        return Int(try shimCall { err in
            withBytes(term) { pxs_database_collection_freq(handle, $0, $1, err) }
        })
    }

    /// The terms starting with `prefix`, in byte order, each with its document frequency
    /// (for completion and for listing boolean filter values).
    public func allTerms(prefix: String = "", limit: Int = .max) throws(XapianError) -> [TermEntry] {
        let handle = try live()
        let iterator = try shimCall { err in
            withBytes(prefix) { pxs_database_allterms(handle, $0, $1, err) }
        }
        guard let iterator else { return [] }
        return try drainTerms(iterator, limit: limit)
    }

    /// The ids of the documents indexed by `term`, ascending (at most `limit`).
    public func postings(_ term: String, limit: Int = 1 << 20) throws(XapianError) -> [UInt32] {
        let handle = try live()
        var ids = [UInt32](repeating: 0, count: max(0, min(limit, try termFrequency(term))))
        guard !ids.isEmpty else { return [] }
        let count = try shimCall { err in
            withBytes(term) { t, n in
                ids.withUnsafeMutableBufferPointer {
                    pxs_database_postings(handle, t, n, $0.baseAddress, $0.count, err)
                }
            }
        }
        return Array(ids.prefix(count))
    }

    /// The user-metadata keys starting with `prefix` (for bookkeeping records kept one per key).
    public func metadataKeys(prefix: String) throws(XapianError) -> [String] {
        let handle = try live()
        let iterator = try shimCall { err in
            withBytes(prefix) { pxs_database_metadata_keys(handle, $0, $1, err) }
        }
        guard let iterator else { return [] }
        return try drainTerms(iterator).map(\.term)
    }

    /// The user metadata stored under `key` (empty when there is none).
    public func metadata(_ key: String) throws(XapianError) -> [UInt8] {
        let handle = try live()
        return try readBytes { out, length, err in
            withBytes(key) { pxs_database_get_metadata(handle, $0, $1, out, length, err) }
        }
    }

    public func metadataString(_ key: String) throws(XapianError) -> String {
        decodeUTF8(try metadata(key))
    }

    /// A stored document: its data, values and (when asked) terms.
    /// Throws `.documentNotFound` for an id that is not in the database.
    public func document(_ id: UInt32, includeTerms: Bool = false) throws(XapianError) -> StoredDocument {
        try withDocument(id, assumeValid: false) { doc throws(XapianError) in
            try StoredDocument(reading: doc, id: id, includeTerms: includeTerms)
        }
    }

    /// The stored data of document `id` alone: `document(_:)` also reads every value slot,
    /// which for the page of a search was a third of the cost of fetching its hits.
    /// `assumeValid`: the id came from a search of this revision, so its existence is not
    /// checked (a lookup less per hit); a missing document then reads as empty data.
    public func documentData(_ id: UInt32, assumeValid: Bool = false) throws(XapianError) -> [UInt8] {
        try withDocument(id, assumeValid: assumeValid) { doc throws(XapianError) in
            try readBytes { out, length, err in pxs_document_get_data(doc, out, length, err) }
        }
    }

    /// The values of document `id` in `slots` (a slot it has no value in is left out);
    /// `assumeValid` as for `documentData`.
    public func values(_ id: UInt32, slots: [UInt32], assumeValid: Bool = false) throws(XapianError) -> [UInt32: [UInt8]] {
        try withDocument(id, assumeValid: assumeValid) { doc throws(XapianError) in
            var values: [UInt32: [UInt8]] = [:]
            for slot in slots {
                let value = try readBytes { out, length, err in pxs_document_get_value(doc, slot, out, length, err) }
                if !value.isEmpty { values[slot] = value }
            }
            return values
        }
    }

    private func withDocument<T>(_ id: UInt32, assumeValid: Bool,
                                 _ body: (OpaquePointer) throws(XapianError) -> T) throws(XapianError) -> T {
        let handle = try live()
        let doc = try shimCall { err in pxs_database_get_document(handle, id, assumeValid, err) }
        guard let doc else { throw XapianError(code: .unknown, type: "unknown", message: "no document") }
        defer { pxs_document_free(doc) }
        return try body(doc)
    }

    /// Runs `query` and returns the page of hits `options` asks for.
    public func search(_ query: Query, options: SearchOptions = SearchOptions()) throws(XapianError) -> SearchResults {
        let handle = try live()
        return try SearchRunner.run(query, on: handle, options: options)
    }
}

@available(*, unavailable, message: "Xapian handles are confined to one thread; open one per thread")
extension Database: Sendable {}

/// Debug aid: counts database handles that were freed without ``Database/close()``.
public enum XapianDiagnostics {
    private static let unclosed = Mutex(0)

    /// How many handles were dropped without being closed since the process started (debug builds).
    public static var unclosedHandles: Int { unclosed.withLock { $0 } }

    static func noteUnclosed(kind: String, path: String) {
        #if DEBUG
        unclosed.withLock { $0 += 1 }
        let line = "XapianKit: \(kind) \(path.isEmpty ? "(combined)" : path) was freed without close()\n"
        var stream = StandardError()
        stream.write(line)
        #endif
    }
}

/// Unbuffered stderr, for diagnostics that must not mix with a command's stdout.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var copy = string
        copy.withUTF8 { buffer in
            _ = Glibc.write(2, buffer.baseAddress, buffer.count)
        }
    }
}

/// Swaps the names of two directories in one step (both stay whole under either name: a crash
/// leaves one or the other, never neither). Returns 0 or the errno: EINVAL where the file
/// system cannot (RENAME_EXCHANGE), EXDEV across file systems.
public func exchangeDirectories(_ a: String, _ b: String) -> Int32 {
    pxs_exchange_directories(a, b)
}
