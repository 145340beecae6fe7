import Foundation

/// Reads and sections each file once for the writers of several shards. With sections spread
/// over shards (`ShardLayout.Placement.section`) every shard's writer takes every file and keeps
/// its own sections of it; each used to read and section the whole file itself, so four shards
/// on two cores sectioned the corpus four times (a 20-copy build on four shards took as long as
/// on one). The first writer to reach a file does the work; the others wait for it and take the
/// same result, and every writer then analyses and writes only its own sections. One object
/// serves one indexing run.
public final class SharedSectioning: @unchecked Sendable {
    // @unchecked: every stored property below is read and written only while `condition` is
    // locked; the results handed out are Sendable values.
    private let condition = NSCondition()
    private var done: [String: Result<Sectioned, SourceError>] = [:]
    private var taken: [String: Int] = [:]
    private var inProgress: Set<String> = []
    /// How many writers take each file: its entry is dropped after the last one.
    private var writers: Int

    /// A file as read (decoded, hashed) and split.
    public struct Sectioned: Sendable {
        public var source: SourceReader.Decoded
        public var document: SectionedDocument
    }

    public init(writers: Int) { self.writers = max(1, writers) }

    /// The file `key` read and sectioned by `make`, made once whichever writer asks first.
    /// `key` names the file's state (path, size, modification time), so a file that changes
    /// during the run is read again rather than served stale.
    func sectioned(_ key: String, make: () throws(SourceError) -> Sectioned) throws(SourceError) -> Sectioned {
        condition.lock()
        while inProgress.contains(key) { condition.wait() }
        if let result = done[key] {
            take(key)
            condition.unlock()
            return try result.get()
        }
        inProgress.insert(key)
        condition.unlock()

        let result: Result<Sectioned, SourceError>
        do { result = .success(try make()) } catch { result = .failure(error) }

        condition.lock()
        inProgress.remove(key)
        done[key] = result
        take(key)
        condition.broadcast()
        condition.unlock()
        return try result.get()
    }

    /// A writer passes `key` by without needing it (its own record says the file is unchanged):
    /// counted as a take, so the others' copy is freed once they have it.
    func pass(_ key: String) {
        condition.lock()
        defer { condition.unlock() }
        take(key)
    }

    /// A writer stopped (its database could not be opened, or failed mid-run): it will take
    /// nothing more, so entries are freed once the remaining writers have them.
    public func writerStopped() {
        condition.lock()
        defer { condition.unlock() }
        writers = max(1, writers - 1)
        for (key, count) in taken where count >= writers {
            done[key] = nil
            taken[key] = nil
        }
    }

    /// Counts one writer's take of `key` (the lock is held); the last one frees the entry.
    /// A pass before anyone sectioned the file is counted too, and the entry made later is
    /// freed when the rest have taken it.
    private func take(_ key: String) {
        let count = (taken[key] ?? 0) + 1
        if count >= writers {
            done[key] = nil
            taken[key] = nil
        } else {
            taken[key] = count
        }
    }
}
