import Foundation
import XapianKit

/// What compacting a newly built index did, as `plansearch index` reports it.
public struct IndexCompaction: Codable, Sendable, Hashable {
    /// Bytes on disk before and after (equal when it was skipped).
    public var bytesBefore: Int
    public var bytesAfter: Int
    /// Why the index was left as built; nil when it was compacted.
    public var skipped: String?

    public init(bytesBefore: Int, bytesAfter: Int, skipped: String? = nil) {
        self.bytesBefore = bytesBefore
        self.bytesAfter = bytesAfter
        self.skipped = skipped
    }

    enum CodingKeys: String, CodingKey {
        case bytesBefore = "bytes_before", bytesAfter = "bytes_after", skipped
    }

    /// Shards' compactions as one. When some shards were compacted and others not, the reason
    /// says so (the sizes are all shards').
    public mutating func merge(_ other: IndexCompaction) {
        bytesBefore += other.bytesBefore
        bytesAfter += other.bytesAfter
        switch (skipped, other.skipped) {
        case (nil, nil): break
        case let (reason?, nil), let (nil, reason?):
            skipped = reason.hasPrefix(Self.someShards) ? reason : Self.someShards + reason
        case let (mine?, theirs?):
            skipped = mine.hasPrefix(Self.someShards) || theirs.hasPrefix(Self.someShards) ? Self.someShards + theirs : mine
        }
    }

    static let someShards = "some shards only: "
}

/// Compacts a database in place: a compacted copy is written beside it, and the two
/// directories swap names in one step (renameat2 RENAME_EXCHANGE), so that at every moment the
/// path holds a whole database, the old or the new. Xapian cannot compact a database into
/// itself.
///
/// Only for an index nobody else reads yet (one the caller's indexer created, and still holds
/// the write lock of): a reader that has the old files open would find the new ones in their
/// place at its next reopen. A daemon holds the write lock of the index it serves for as long
/// as it runs, so it cannot be serving an index an indexer holds.
enum Compaction {
    /// The database directory as the kernel resolves the path (realpath: symlinks, then `..`),
    /// so that a `--db` that is a link has the index swapped where it lies; nil when the path
    /// cannot be resolved.
    static func directory(of path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Where the copy is written: a hidden sibling of the database directory (for a shard,
    /// inside the sharded index's directory), on the same file system, as the swap needs.
    static func temporaryPath(forDirectory directory: String) -> String {
        let url = URL(fileURLWithPath: directory)
        return url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".compacting").path
    }

    /// The same for the index at `path`; nil when the path cannot be resolved.
    static func temporaryPath(for path: String) -> String? {
        directory(of: path).map { temporaryPath(forDirectory: $0) }
    }

    /// Compacts the database at `path`, whose writer (holding its lock, every change committed)
    /// is `writer`, and closes the writer. Never throws: an index that could not be compacted is
    /// still a whole index, as built, and the reason is reported.
    /// (`exchange`: the swap, replaceable in tests by one that fails as some file systems do.)
    /// `identity`: the directory the writer opened; nothing is swapped unless the path still
    /// names it.
    static func run(path given: String, identity: DirectoryIdentity?, writer: WritableDatabase,
                    exchange: (String, String) -> Int32 = exchangeDirectories) -> IndexCompaction {
        let before = DiskUsage.bytes(under: given)
        guard let path = directory(of: given), let identity, DirectoryIdentity(path) == identity else {
            try? writer.close()
            return IndexCompaction(bytesBefore: before, bytesAfter: before,
                                   skipped: "\(given) no longer names the directory the index was built in")
        }
        let temporary = temporaryPath(forDirectory: path)
        func leftAsBuilt(_ reason: String) -> IndexCompaction {
            try? FileManager.default.removeItem(atPath: temporary)
            try? writer.close()
            return IndexCompaction(bytesBefore: before, bytesAfter: before, skipped: reason)
        }
        // The swap moves the whole directory: anything else in it (a hidden file the user
        // keeps there, lost+found on a mount point) would end up in the copy that is deleted.
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        if let other = entries.sorted().first(where: { !($0 == "iamglass" || $0 == "flintlock" || $0.hasSuffix(".glass")) }) {
            try? writer.close()
            return IndexCompaction(bytesBefore: before, bytesAfter: before,
                                   skipped: "the index directory also holds \(other), which compacting in place would lose")
        }
        // A copy left by a run that was killed while compacting.
        try? FileManager.default.removeItem(atPath: temporary)
        do {
            let reader = try Database(path: path)
            defer { try? reader.close() }
            try reader.compact(into: temporary)
        } catch {
            return leftAsBuilt("compaction failed: \(error.message)")
        }
        let code = exchange(path, temporary)
        guard code == 0 else {
            let reason = code == EINVAL || code == ENOSYS || code == ENOTSUP
                ? "the file system cannot swap two directories in one step"
                : String(cString: strerror(code))
            return leftAsBuilt("the compacted copy could not take the index's place: \(reason)")
        }
        // The writer's files (and its lock) are now the old copy's: let go, then delete it.
        try? writer.close()
        try? FileManager.default.removeItem(atPath: temporary)
        return IndexCompaction(bytesBefore: before, bytesAfter: DiskUsage.bytes(under: path))
    }
}

/// A directory as the file system knows it (device and inode), whatever path names it.
struct DirectoryIdentity: Equatable, Sendable {
    let device: UInt64
    let inode: UInt64

    init?(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
