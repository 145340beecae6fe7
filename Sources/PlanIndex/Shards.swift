import Foundation
import XapianKit

/// An index split over several Xapian databases ("shards") that are searched as one, each with
/// its own writer.
///
/// Where sections go (`Placement`): in a layout made now, each section lands in the shard given
/// by a stable hash of its id, so that one large document (a programme plan that is nine tenths
/// of a corpus) is written by every shard's writer at once rather than by one. Every shard then
/// keeps its own record of every document (with the number of sections it holds), so incremental
/// reindexing, deletes and renames still work shard by shard: each shard replaces or deletes its
/// part of a document in one transaction of its own. Layouts written before placement existed
/// put whole documents in one shard (a hash of the document id), and keep doing so.
///
/// On disk: DIR/plansearch-shards.json ({"count": N, "placement": "section"}) and DIR/shard-0 ...
/// DIR/shard-(N-1).
public struct ShardLayout: Sendable, Equatable {
    public let directory: String
    public let count: Int
    public let placement: Placement

    public enum Placement: String, Sendable, Codable {
        /// A whole document in one shard (layouts without a placement key).
        case document
        /// Each section in the shard of its own id: a large document's writing is shared.
        case section
    }

    static let fileName = "plansearch-shards.json"

    public init(directory: String, count: Int, placement: Placement = .section) {
        self.directory = directory
        self.count = max(1, count)
        self.placement = placement
    }

    /// The layout of an existing index directory; nil for a single, unsharded database.
    public static func read(_ directory: String) throws -> ShardLayout? {
        let file = directory + "/" + fileName
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        struct Stored: Codable {
            var count: Int
            var placement: Placement?
        }
        do {
            let stored = try JSONDecoder().decode(Stored.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
            guard countRange.contains(stored.count) else { throw IndexError("\(file): shard count \(stored.count) out of range") }
            // No placement key: written before sections were spread, so documents stay whole.
            return ShardLayout(directory: directory, count: stored.count, placement: stored.placement ?? .document)
        } catch let error as IndexError {
            throw error
        } catch {
            throw IndexError("\(file): not a shard layout: \(error)")
        }
    }

    /// The shard counts an index may have.
    public static let countRange = 1...1024

    /// Creates the layout file (or checks an existing one agrees).
    public static func create(_ directory: String, count: Int, placement: Placement = .section) throws -> ShardLayout {
        // Checked before anything is written: a layout file `read` refuses would lock the
        // directory out of every later index and serve.
        guard countRange.contains(count) else {
            throw IndexError("--shards must be from \(countRange.lowerBound) to \(countRange.upperBound), not \(count)")
        }
        if let existing = try read(directory) {
            guard existing.count == count else {
                throw IndexError("\(directory) has \(existing.count) shards, not \(count); reindex into a new directory to change it")
            }
            return existing
        }
        if FileManager.default.fileExists(atPath: directory + "/iamglass") {
            throw IndexError("\(directory) holds an unsharded index; use a new directory for --shards")
        }
        try Indexer.checkIndexDirectory(directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data("{\"count\": \(count), \"placement\": \"\(placement.rawValue)\"}\n".utf8)
            .write(to: URL(fileURLWithPath: directory + "/" + fileName))
        return ShardLayout(directory: directory, count: count, placement: placement)
    }

    public var shardPaths: [String] { (0..<count).map { "\(directory)/shard-\($0)" } }

    /// The shard of a document (document placement): FNV-1a of its id, so it is the same on
    /// every machine and run.
    public func shard(of documentID: String) -> Int {
        Self.hash(documentID, count)
    }

    /// The shard a section is written to: its document's, or its own by the same hash.
    public func shard(ofSection sectionID: String, document documentID: String) -> Int {
        switch placement {
        case .document: shard(of: documentID)
        case .section: Self.hash(sectionID, count)
        }
    }

    private static func hash(_ id: String, _ count: Int) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return Int(h % UInt64(count))
    }

    /// Makes `indexer` the writer of shard `shard`: it takes only the documents, or only the
    /// sections, that belong there.
    public func restrict(_ indexer: Indexer, toShard shard: Int) {
        switch placement {
        case .document:
            indexer.accepts = { self.shard(of: $0) == shard }
        case .section:
            indexer.acceptsSection = { section, document in self.shard(ofSection: section, document: document) == shard }
        }
    }

    /// For one indexing run of every shard at once: with sections spread, every writer reads
    /// every file, so they share its reading and sectioning (nil with whole documents per shard).
    public func sharedSectioning() -> SharedSectioning? {
        placement == .section && count > 1 ? SharedSectioning(writers: count) : nil
    }

    /// Adds up the shards' summaries of one run: with sections spread, every shard saw every
    /// document, so document counts are each shard's (the largest, should one have failed)
    /// and only section counts add up.
    public func merge(_ summaries: [IndexSummary]) -> IndexSummary {
        var merged = IndexSummary()
        for part in summaries { merged.merge(part, sameDocuments: placement == .section) }
        return merged
    }

    /// The database paths behind an index directory: its shards, or itself.
    public static func databasePaths(_ directory: String) throws -> [String] {
        try read(directory)?.shardPaths ?? [directory]
    }
}

extension IndexSummary {
    /// Adds another shard's summary into this one (failures reported by several shards once).
    /// `sameDocuments`: both shards indexed the same documents (sections spread over shards), so
    /// document counts are not added.
    public mutating func merge(_ other: IndexSummary, sameDocuments: Bool = false) {
        func combine(_ a: inout Int, _ b: Int) { a = sameDocuments ? max(a, b) : a + b }
        combine(&added, other.added)
        combine(&updated, other.updated)
        combine(&rulesChanged, other.rulesChanged)
        combine(&unchanged, other.unchanged)
        combine(&removed, other.removed)
        combine(&renamed, other.renamed)
        combine(&documents, other.documents)
        sectionsAdded += other.sectionsAdded
        sectionsRemoved += other.sectionsRemoved
        sections += other.sections
        seconds = max(seconds, other.seconds)
        for failure in other.failures where !failures.contains(failure) { failures.append(failure) }
        failed = failures.count
        if let theirs = other.compaction {
            if compaction == nil { compaction = theirs } else { compaction?.merge(theirs) }
        }
    }
}

/// Indexes into every shard of a layout at once, one writer per shard on its own thread.
public enum ShardedIndexing {
    /// - Parameter compactingNewIndex: compact each shard this run created (see
    ///   `Indexer.close(compactingNewIndex:)`).
    public static func index(layout: ShardLayout, schema: Schema, analyzer: AnalyzerChoice, paths: [String],
                             waitForLock: Bool = false, compactingNewIndex: Bool = false) throws -> IndexSummary {
        let results = ShardResults(count: layout.count)
        let sharing = layout.sharedSectioning()
        let group = DispatchGroup()
        for (shard, path) in layout.shardPaths.enumerated() {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                do {
                    // Made, used and closed on this thread: a writer never changes threads.
                    let indexer = try Indexer(databasePath: path, schema: schema, analyzer: try analyzer.make(for: schema),
                                              waitForLock: waitForLock)
                    layout.restrict(indexer, toShard: shard)
                    indexer.sharedSectioning = sharing
                    var summary = try indexer.index(paths: paths)
                    summary.compaction = try indexer.close(compactingNewIndex: compactingNewIndex)
                    results.set(shard, .success(summary))
                } catch {
                    sharing?.writerStopped()
                    results.set(shard, .failure(error))
                }
            }
            thread.start()
        }
        group.wait()
        var summaries: [IndexSummary] = []
        for result in results.all() {
            switch result {
            case let .success(summary): summaries.append(summary)
            case let .failure(error): throw error
            case nil: throw IndexError("a shard's indexer did not finish")
            }
        }
        return layout.merge(summaries)
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
