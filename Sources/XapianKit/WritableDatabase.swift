import CXapian

/// The single writer of a database. Xapian allows one per database (across processes too): a
/// second gets `.databaseLocked`, or waits when opened with `waitForLock`.
///
/// Reads through the writer (document count, metadata, search) see its uncommitted changes.
/// `close()` commits pending changes (and cancels an open transaction); commit explicitly anyway,
/// since only an explicit commit reports its errors.
public final class WritableDatabase: Database {
    public enum OpenMode: Sendable {
        case createOrOpen
        /// Fails when a database exists at the path.
        case create
        /// Fails with `.databaseNotFound` when there is no database at the path.
        case open
        case createOrOverwrite

        var shim: pxs_open_mode {
            switch self {
            case .createOrOpen: PXS_OPEN_CREATE_OR_OPEN
            case .create: PXS_OPEN_CREATE
            case .open: PXS_OPEN_OPEN
            case .createOrOverwrite: PXS_OPEN_CREATE_OR_OVERWRITE
            }
        }
    }

    public private(set) var inTransaction = false

    /// - Parameters:
    ///   - waitForLock: block until another writer lets go, instead of failing with `.databaseLocked`.
    ///   - durable: `false` skips fsync on commit (tests and throwaway indexes only).
    public init(path: String, mode: OpenMode = .createOrOpen, waitForLock: Bool = false,
                durable: Bool = true) throws(XapianError) {
        let handle = try shimCall { err in
            withBytes(path) { pxs_writable_open($0, $1, mode.shim, waitForLock, !durable, err) }
        }
        guard let handle else {
            throw XapianError(code: .unknown, type: "unknown", message: "open returned no handle")
        }
        super.init(handle: handle, path: path)
    }

    override class var kindName: String { "WritableDatabase" }

    /// Adds a document and returns its id.
    @discardableResult
    public func add(_ document: Document) throws(XapianError) -> UInt32 {
        let handle = try live()
        return try document.withHandle { doc throws(XapianError) in
            try shimCall { err in pxs_writable_add_document(handle, doc, err) }
        }
    }

    /// Replaces every document indexed by `uniqueTerm` with `document` (adding it when there is
    /// none): the upsert by id. The document should itself carry `uniqueTerm` as a boolean term.
    @discardableResult
    public func replace(uniqueTerm: String, with document: Document) throws(XapianError) -> UInt32 {
        let handle = try live()
        return try document.withHandle { doc throws(XapianError) in
            try shimCall { err in
                withBytes(uniqueTerm) { pxs_writable_replace_document_by_term(handle, $0, $1, doc, err) }
            }
        }
    }

    public func replace(documentID: UInt32, with document: Document) throws(XapianError) {
        let handle = try live()
        try document.withHandle { doc throws(XapianError) in
            _ = try shimCall { err in pxs_writable_replace_document(handle, documentID, doc, err) }
        }
    }

    /// Deletes every document indexed by `term` (none is not an error).
    public func delete(uniqueTerm term: String) throws(XapianError) {
        let handle = try live()
        _ = try shimCall { err in
            withBytes(term) { pxs_writable_delete_document_by_term(handle, $0, $1, err) }
        }
    }

    /// Deletes one document; `.documentNotFound` when there is no such id.
    public func delete(documentID: UInt32) throws(XapianError) {
        let handle = try live()
        _ = try shimCall { err in pxs_writable_delete_document(handle, documentID, err) }
    }

    /// Starts a transaction: nothing after this is visible to readers, or survives a crash, until
    /// ``commitTransaction()``. `flushed: true` also commits when the transaction commits.
    public func beginTransaction(flushed: Bool = true) throws(XapianError) {
        let handle = try live()
        _ = try shimCall { err in pxs_writable_begin_transaction(handle, flushed, err) }
        inTransaction = true
    }

    public func commitTransaction() throws(XapianError) {
        let handle = try live()
        _ = try shimCall { err in pxs_writable_commit_transaction(handle, err) }
        inTransaction = false
    }

    /// Throws away everything since ``beginTransaction(flushed:)``.
    public func cancelTransaction() throws(XapianError) {
        let handle = try live()
        _ = try shimCall { err in pxs_writable_cancel_transaction(handle, err) }
        inTransaction = false
    }

    /// Runs `body` in a transaction: commits when it returns, cancels when it throws.
    public func transaction<R>(flushed: Bool = true, _ body: (WritableDatabase) throws -> R) throws -> R {
        try beginTransaction(flushed: flushed)
        let result: R
        do {
            result = try body(self)
        } catch {
            // The body's error is the one worth reporting; a failed cancel adds nothing.
            try? cancelTransaction()
            throw error
        }
        try commitTransaction()
        return result
    }

    /// Makes everything written so far durable and visible to readers (an fsync).
    public func commit() throws(XapianError) {
        let handle = try live()
        _ = try shimCall { err in pxs_writable_commit(handle, err) }
    }

    /// Stores `value` under `key` (index bookkeeping: hashes, versions); empty value deletes.
    public func setMetadata(_ key: String, _ value: [UInt8]) throws(XapianError) {
        let handle = try live()
        _ = try shimCall { err in
            withBytes(key) { k, kn in
                withBytes(value) { v, vn in pxs_writable_set_metadata(handle, k, kn, v, vn, err) }
            }
        }
    }

    public func setMetadata(_ key: String, _ value: String) throws(XapianError) {
        try setMetadata(key, Array(value.utf8))
    }
}
