import Foundation
import XapianKit

/// An index split over several Xapian databases ("shards") that are searched as one. A document
/// always lands in the same shard (a stable hash of its id), so incremental reindexing, deletes
/// and renames work shard by shard, and each shard has its own writer.
///
/// On disk: DIR/plansearch-shards.json ({"count": N}) and DIR/shard-0 ... DIR/shard-(N-1).
public struct ShardLayout: Sendable, Equatable {
    public let directory: String
    public let count: Int

    static let fileName = "plansearch-shards.json"

    public init(directory: String, count: Int) {
        self.directory = directory
        self.count = max(1, count)
    }

    /// The layout of an existing index directory; nil for a single, unsharded database.
    public static func read(_ directory: String) throws -> ShardLayout? {
        let file = directory + "/" + fileName
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        struct Stored: Codable { var count: Int }
        do {
            let stored = try JSONDecoder().decode(Stored.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
            guard (1...1024).contains(stored.count) else { throw IndexError("\(file): shard count \(stored.count) out of range") }
            return ShardLayout(directory: directory, count: stored.count)
        } catch let error as IndexError {
            throw error
        } catch {
            throw IndexError("\(file): not a shard layout: \(error)")
        }
    }

    /// Creates the layout file (or checks an existing one agrees).
    public static func create(_ directory: String, count: Int) throws -> ShardLayout {
        if let existing = try read(directory) {
            guard existing.count == count else {
                throw IndexError("\(directory) has \(existing.count) shards, not \(count); reindex into a new directory to change it")
            }
            return existing
        }
        if FileManager.default.fileExists(atPath: directory + "/iamglass") {
            throw IndexError("\(directory) holds an unsharded index; use a new directory for --shards")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("{\"count\": \(count)}\n".utf8).write(to: URL(fileURLWithPath: directory + "/" + fileName))
        return ShardLayout(directory: directory, count: count)
    }

    public var shardPaths: [String] { (0..<count).map { "\(directory)/shard-\($0)" } }

    /// The shard of a document: FNV-1a of its id, so it is the same on every machine and run.
    public func shard(of documentID: String) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in documentID.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return Int(h % UInt64(count))
    }

    /// The database paths behind an index directory: its shards, or itself.
    public static func databasePaths(_ directory: String) throws -> [String] {
        try read(directory)?.shardPaths ?? [directory]
    }
}

extension IndexSummary {
    /// Adds another shard's summary into this one (failures reported by several shards once).
    public mutating func merge(_ other: IndexSummary) {
        added += other.added
        updated += other.updated
        unchanged += other.unchanged
        removed += other.removed
        renamed += other.renamed
        sectionsAdded += other.sectionsAdded
        sectionsRemoved += other.sectionsRemoved
        documents += other.documents
        sections += other.sections
        seconds = max(seconds, other.seconds)
        for failure in other.failures where !failures.contains(failure) { failures.append(failure) }
        failed = failures.count
    }
}

/// Indexes into every shard of a layout at once, one writer per shard on its own thread.
public enum ShardedIndexing {
    public static func index(layout: ShardLayout, schema: Schema, analyzer: AnalyzerChoice, paths: [String],
                             waitForLock: Bool = false) throws -> IndexSummary {
        let results = ShardResults(count: layout.count)
        let group = DispatchGroup()
        for (shard, path) in layout.shardPaths.enumerated() {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                do {
                    // Made, used and closed on this thread: a writer never changes threads.
                    let indexer = try Indexer(databasePath: path, schema: schema, analyzer: try analyzer.make(for: schema),
                                              waitForLock: waitForLock)
                    indexer.accepts = { layout.shard(of: $0) == shard }
                    let summary = try indexer.index(paths: paths)
                    try indexer.close()
                    results.set(shard, .success(summary))
                } catch {
                    results.set(shard, .failure(error))
                }
            }
            thread.start()
        }
        group.wait()
        var merged = IndexSummary()
        for result in results.all() {
            switch result {
            case let .success(summary): merged.merge(summary)
            case let .failure(error): throw error
            case nil: throw IndexError("a shard's indexer did not finish")
            }
        }
        return merged
    }
}

final class ShardResults: @unchecked Sendable {
    // @unchecked: each slot is written by one thread, read after DispatchGroup.wait().
    private let lock = NSLock()
    private var results: [Result<IndexSummary, Error>?]
    init(count: Int) { results = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<IndexSummary, Error>) { lock.lock(); results[i] = r; lock.unlock() }
    func all() -> [Result<IndexSummary, Error>?] { lock.lock(); defer { lock.unlock() }; return results }
}
