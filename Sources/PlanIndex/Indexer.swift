import Foundation
import Glibc
import XapianKit

/// What one indexing run did.
public struct IndexSummary: Codable, Sendable, Hashable {
    public var added = 0
    public var updated = 0
    /// Of `updated`: documents whose file had not changed, indexed again because what they were
    /// indexed under had (an edited schema rule, a lexicon, a new PlanSearch).
    public var rulesChanged = 0
    public var unchanged = 0
    public var removed = 0
    public var renamed = 0
    public var failed = 0
    public var sectionsAdded = 0
    public var sectionsRemoved = 0
    public var documents = 0
    public var sections = 0
    public var seconds = 0.0
    public var failures: [Failure] = []
    /// Set when the run built a new index and compacted it (or tried to).
    public var compaction: IndexCompaction?

    public struct Failure: Codable, Sendable, Hashable {
        public var file: String
        public var reason: String
        public var message: String
    }

    public init() {}

    enum CodingKeys: String, CodingKey {
        case added, updated, unchanged, removed, renamed, failed
        case rulesChanged = "rules_changed"
        case sectionsAdded = "sections_added", sectionsRemoved = "sections_removed"
        case documents, sections, seconds, failures, compaction
    }
}

/// A reason the whole run could not go ahead (as opposed to one file failing).
public struct IndexError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Indexes plan files into one Xapian database, incrementally: unchanged files are skipped, a
/// changed file's sections are replaced in one transaction together with its bookkeeping record,
/// and files that disappeared from an indexed root are removed. Killed at any moment, the index
/// holds the last committed state, and the next run finishes the work.
///
/// Holds the database's single writer; not Sendable (one thread owns it).
public final class Indexer {
    public private(set) var schema: Schema
    public private(set) var layout: IndexLayout
    private(set) var builder: SectionDocumentBuilder
    /// Recorded with each document: an unchanged file indexed under another one (an edited
    /// schema rule, a new lexicon, a sectioning change) is indexed again.
    private(set) var fingerprint: String
    let writer: WritableDatabase
    let reader = SourceReader()
    public var progress: ((_ done: Int, _ total: Int, _ file: String) -> Void)?
    /// Which document ids this database holds (one shard of several takes only its own).
    public var accepts: (String) -> Bool = { _ in true }
    /// Which sections (by section id, document id) of an accepted document this database holds:
    /// all of them, unless a shard layout spreads sections over shards. The document's record is
    /// kept either way, with the number of sections held here.
    public var acceptsSection: (String, String) -> Bool = { _, _ in true }
    /// Set for one run when the writers of several shards index the same files (sections spread
    /// over shards): each file is then read and sectioned once for all of them.
    public var sharedSectioning: SharedSectioning?

    /// Opens (or creates) the database at `path` for writing.
    /// - Parameter waitForLock: wait for another indexer to finish instead of failing.
    public init(databasePath: String, schema: Schema, analyzer: any DocumentAnalyzer,
                waitForLock: Bool = false, durable: Bool = true) throws {
        self.schema = schema
        layout = IndexLayout(schema: schema)
        builder = SectionDocumentBuilder(layout: layout, analyzer: analyzer)
        fingerprint = Self.fingerprint(schema, analyzer)
        try Self.checkIndexDirectory(databasePath)
        path = databasePath
        do {
            created = try Self.makeDirectory(databasePath)
            // Xapian waits on the lock of the `flintlock` file it found at the path. If a first
            // build's compaction swapped the directory meanwhile (see `Compaction`), that lock
            // is the old copy's, and the tables opened are the new copy's, whose own lock anyone
            // could take: open again, on the directory the path names now.
            var opened: WritableDatabase
            var openedIdentity: DirectoryIdentity?
            var attempts = 0
            repeat {
                let before = DirectoryIdentity(databasePath)
                opened = try WritableDatabase(path: databasePath, mode: .createOrOpen, waitForLock: waitForLock, durable: durable)
                openedIdentity = DirectoryIdentity(databasePath)
                if before == openedIdentity, openedIdentity != nil { break }
                try? opened.close()
                attempts += 1
                guard attempts < 10 else { throw IndexError("\(databasePath) kept changing while it was opened for writing") }
            } while true
            writer = opened
            identity = openedIdentity
        } catch XapianError.Code.databaseLocked {
            throw IndexError("\(databasePath) is being written by another indexer or daemon (it holds the lock); "
                             + "wait for it to finish, or ask the daemon to reindex")
        } catch let error as XapianError {
            throw IndexError("cannot open \(databasePath) for writing: \(error.message) [\(error.code)]")
        }
        // A compacted copy (or the old index after the swap) left by a run killed while
        // compacting: with the write lock held, no run is compacting this index now.
        var interrupted = false
        if let leftover = Compaction.temporaryPath(for: databasePath), FileManager.default.fileExists(atPath: leftover) {
            try? FileManager.default.removeItem(atPath: leftover)
            interrupted = true
        }
        compactionInterrupted = interrupted
        try checkLayout()
    }

    deinit { try? writer.close() }

    /// Refuses an index path that cannot be one: a file (creating the directory failed with
    /// Foundation's raw "file exists"), or a folder of other files, where an index would be
    /// written in among someone's documents (`--db ~/plans` for `--db ~/plans-index`). A
    /// missing or empty directory is fine, as is one holding any of Xapian's or PlanSearch's
    /// own files (also an index whose creation was cut short). Hidden files and lost+found do
    /// not count.
    public static func checkIndexDirectory(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else {
            throw IndexError("\(path) is a file, not an index directory; give a directory for the index (it is created if missing)")
        }
        // Unreadable: opening it reports why.
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        // A sharded index's root has its layout file (written before the shard folders).
        let indexFiles = entries.contains {
            $0 == "iamglass" || $0 == "flintlock" || $0.hasSuffix(".glass") || $0 == ShardLayout.fileName
        }
        // lost+found: a fresh file system mounted for the index.
        let others = entries.filter { !$0.hasPrefix(".") && $0 != "lost+found" }.sorted()
        if !indexFiles, !others.isEmpty {
            let named = others.prefix(3).joined(separator: ", ") + (others.count > 3 ? ", …" : "")
            throw IndexError("\(path) holds other files (\(named)) and no index; give a new or empty directory for the index")
        }
    }

    /// Whether another writer (an indexer, or a daemon, which holds it for its whole life)
    /// holds the database's lock now.
    public static func isLocked(databasePath: String) -> Bool {
        do {
            let probe = try WritableDatabase(path: databasePath, mode: .open)
            try? probe.close()
            return false
        } catch {
            return error.code == .databaseLocked
        }
    }

    /// Indexes the next runs under `schema` (an edited schema file, read again by a daemon
    /// that keeps this writer open): files indexed under the old one are indexed again, as
    /// their fingerprint no longer matches.
    public func reconfigure(schema: Schema, analyzer: any DocumentAnalyzer) {
        self.schema = schema
        layout = IndexLayout(schema: schema)
        builder = SectionDocumentBuilder(layout: layout, analyzer: analyzer)
        fingerprint = Self.fingerprint(schema, analyzer)
    }

    static func fingerprint(_ schema: Schema, _ analyzer: any DocumentAnalyzer) -> String {
        "\(IndexLayout.sectioningVersion)/\(schema.indexFingerprint)/\(analyzer.fingerprint)"
    }

    /// Commits and lets go of the database.
    public func close() throws {
        try writer.commit()
        try writer.close()
    }

    /// Whether this indexer made the index directory (it did not exist): nobody else has had
    /// the database open while it held the write lock, and the directory has the mode and
    /// owner any new one gets, so a compacted copy may take its place.
    public let created: Bool
    /// Whether a run killed while compacting this index left its copy behind (deleted on
    /// open). Only a run that made the directory compacts, so this one may finish the job: the
    /// index would otherwise stay as built for good (the corpus's: 31 MB, not 17). (When the run was killed after the
    /// swap, the copy is the old index and this compacts a compacted one: a tenth of a second.)
    public let compactionInterrupted: Bool
    /// Whether `close(compactingNewIndex: true)` compacts: this indexer made the directory, or
    /// the run that made it was killed while compacting it.
    public var compactsWhenNew: Bool { created || compactionInterrupted }
    let path: String
    /// The directory the writer opened, to make sure a compaction swaps that one.
    let identity: DirectoryIdentity?

    /// Makes the index directory (and missing parents); true when this call made it, false
    /// when it was there (mkdir's own answer, so two runs starting at once cannot both think
    /// they made it).
    static func makeDirectory(_ path: String) throws -> Bool {
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
        if mkdir(path, 0o777) == 0 { return true }
        let code = errno
        if code == EEXIST { return false }
        throw IndexError("cannot create \(path): \(String(cString: strerror(code)))")
    }

    /// Commits and lets go of the database; if this indexer created it (or finishes a killed
    /// run's compaction, see `compactionInterrupted`) and `compactingNewIndex`,
    /// first compacts it in place (see `Compaction`) and says how that went. A first build
    /// commits every `commitInterval` for the readers' sake, and each commit leaves the blocks it
    /// wrote partly empty: the corpus's index took 30 MB as built and 16 MB compacted, in a
    /// tenth of a second. Later runs (an index a daemon may serve) are not compacted.
    public func close(compactingNewIndex: Bool) throws -> IndexCompaction? {
        try close(compactingNewIndex: compactingNewIndex, exchange: exchangeDirectories)
    }

    func close(compactingNewIndex: Bool, exchange: (String, String) -> Int32) throws -> IndexCompaction? {
        guard compactingNewIndex, compactsWhenNew else {
            try close()
            return nil
        }
        try writer.commit()
        return Compaction.run(path: path, identity: identity, writer: writer, exchange: exchange)
    }

    private func checkLayout() throws {
        let version = try writer.metadataString(IndexLayout.versionKey)
        if version.isEmpty {
            try writer.setMetadata(IndexLayout.versionKey, IndexLayout.version)
            try writer.setMetadata(IndexLayout.schemaKey, schema.name)
            try writer.commit()
        } else if version != IndexLayout.version {
            throw IndexError("the index was written by an incompatible PlanSearch (layout \(version), this is \(IndexLayout.version)); "
                             + "delete it and index again")
        }
    }

    /// The bookkeeping records of every indexed document.
    public func documents() throws -> [DocumentRecord] {
        try Self.documents(in: writer)
    }

    public static func documents(in database: Database) throws -> [DocumentRecord] {
        try records(in: database).records
    }

    /// The records that can be read, and how many cannot (skipped, not fatal: a damaged record
    /// must not stop a run).
    static func records(in database: Database) throws -> (records: [DocumentRecord], unreadable: Int) {
        let decoder = JSONDecoder()
        let keys = try database.metadataKeys(prefix: IndexLayout.documentKeyPrefix)
        let records = keys.compactMap { key in
            try? decoder.decode(DocumentRecord.self, from: Data(database.metadata(key)))
        }
        return (records, keys.count - records.count)
    }

    /// Indexes files and directories. Directories are walked for files with the schema's
    /// extensions; a document's id is its path relative to the directory given (a file given
    /// directly is its own root, and its id is its name).
    public func index(paths: [String]) throws -> IndexSummary {
        let start = ContinuousClock.now
        var summary = IndexSummary()
        // Per run: a daemon's indexer lives on, and a hash seen in an earlier run made a deleted
        // file count as renamed.
        seenHashes = []
        var found: [(file: String, root: String, id: String)] = []
        // The folders walked and the files given: what was not seen in them is gone.
        var scopes: Set<String> = []
        var givenFiles: Set<String> = []
        var keep: Set<String> = []  // folders that could not be listed
        var records: [String: DocumentRecord] = [:]
        let initial = try Self.records(in: writer)
        for record in initial.records { records[record.id] = record }
        // Cleared before any document changes if some were indexed under another analyzer; set
        // again at the end once none is left (a run cut short leaves it cleared).
        try recordAnalyzer(initial)
        // A folder or file inside a root this index already has keeps its ids relative to that
        // root (reindexing plans/d1 of an index of plans must not make d1's files new documents).
        let knownRoots = Set(records.values.map(\.root))
        func enclosingRoot(_ path: String) -> String? {
            knownRoots.filter { path.hasPrefix($0 + "/") }.max { $0.count < $1.count }
        }
        for path in paths {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
                // A file indexed before and given again after it was deleted, or a deleted folder
                // whose own folder is still there (reindex plans/d1 after rm -rf plans/d1): what
                // was indexed from it goes. (Only the shard holding a document finds its record.)
                let parentThere = FileManager.default.fileExists(atPath: (absolute as NSString).deletingLastPathComponent)
                let gone = records.values.filter { record in
                    record.file == absolute || (parentThere && record.file.hasPrefix(absolute + "/"))
                }
                if !gone.isEmpty {
                    for record in gone {
                        summary.sectionsRemoved += try remove(documentID: record.id)
                        summary.removed += 1
                        records[record.id] = nil
                    }
                    continue
                }
                summary.failed += 1
                summary.failures.append(.init(file: absolute, reason: "missing", message: "no such file or directory"))
                continue
            }
            if isDirectory.boolValue {
                scopes.insert(absolute)
                let root = enclosingRoot(absolute) ?? absolute
                let (files, unreadable, unindexable) = listing(absolute)
                for failure in unindexable {
                    summary.failed += 1
                    summary.failures.append(failure)
                }
                for (folder, message) in unreadable {
                    // Reported, and what was indexed from it is kept: a folder closed by a
                    // permission change is not a deletion.
                    summary.failed += 1
                    summary.failures.append(.init(file: folder, reason: "unreadable",
                                                  message: "cannot list the folder (\(message)); what was indexed from it is kept"))
                    keep.insert(folder)
                }
                for file in files {
                    let id = String(file.dropFirst(root.count + 1))
                    if accepts(id) { found.append((file, root, id)) }
                }
            } else {
                givenFiles.insert(absolute)
                let root = enclosingRoot(absolute)
                let id = root.map { String(absolute.dropFirst($0.count + 1)) } ?? (absolute as NSString).lastPathComponent
                if accepts(id) { found.append((absolute, root ?? absolute, id)) }
            }
        }

        var seen: Set<String> = []
        // Hashes of documents whose file disappeared, to report renames rather than add + remove.
        var vanishedHashes: [String: String] = [:]
        for record in records.values where !FileManager.default.fileExists(atPath: record.file) {
            vanishedHashes[record.hash] = record.id
        }

        var taken: [String: String] = [:]  // id -> the file that has it this run
        for (done, item) in found.enumerated() {
            progress?(done, found.count, item.id)
            // Two roots holding the same relative path would share one id: the second would
            // overwrite the first (this run or a later one). Refused, naming the other file.
            let holder = taken[item.id] ?? records[item.id].flatMap { record in
                record.file != item.file && record.root != item.root
                    && FileManager.default.fileExists(atPath: record.file) ? record.file : nil
            }
            if let holder, holder != item.file {
                summary.failed += 1
                summary.failures.append(.init(file: item.file, reason: "index_error",
                                              message: "its id \(item.id) is already \(holder)'s: two roots hold the same path; index their common folder instead"))
                continue
            }
            taken[item.id] = item.file
            seen.insert(item.id)
            do {
                try indexFile(item.file, root: item.root, id: item.id, existing: records[item.id],
                              vanishedHashes: vanishedHashes, summary: &summary)
            } catch let error as SourceError {
                summary.failed += 1
                var message = error.message
                if error.reason == .empty, records[item.id] != nil {
                    // Emptied: what the file said before is no longer in it, so its sections
                    // must stop matching. (An unreadable file keeps them: it may come back.)
                    do {
                        let removed = try remove(documentID: item.id)
                        summary.sectionsRemoved += removed
                        summary.removed += 1
                        // (No count here: with shards each writer removes its own share, and
                        // the same message from each is one failure; sections_removed adds up.)
                        message += "; its earlier sections were removed from the index"
                    } catch {
                        message += "; its earlier sections could not be removed (\(error))"
                    }
                }
                summary.failures.append(.init(file: error.file, reason: error.reason.rawValue, message: message))
            } catch let error as XapianError where error.code == .databaseCorrupt || error.code == .database {
                // The index itself is in trouble: stop rather than fail every remaining file.
                throw IndexError("the index is damaged (\(error.message)); delete it and index again")
            } catch {
                summary.failed += 1
                summary.failures.append(.init(file: item.file, reason: "index_error", message: "\(error)"))
            }
        }
        progress?(found.count, found.count, "")

        // Documents under an indexed root that were not seen this time are gone: remove them.
        for record in records.values where !seen.contains(record.id) {
            let inScope = givenFiles.contains(record.file) || scopes.contains { record.file.hasPrefix($0 + "/") }
            guard inScope, !keep.contains(where: { record.file == $0 || record.file.hasPrefix($0 + "/") }) else { continue }
            let removed = try remove(documentID: record.id)
            summary.sectionsRemoved += removed
            if vanishedHashes[record.hash] == record.id, seenHashes.contains(record.hash) {
                // The same content was just added under a new name: report one rename.
                summary.renamed += 1
                summary.added = max(0, summary.added - 1)
            } else {
                summary.removed += 1
            }
        }
        let final = try Self.records(in: writer)
        let finalRecords = final.records
        try recordAnalyzer(final)
        try writer.commit()
        lastCommit = .now
        summary.documents = finalRecords.count
        summary.sections = finalRecords.reduce(0) { $0 + $1.sections }
        summary.seconds = Self.seconds(ContinuousClock.now - start)
        return summary
    }

    /// Writes `IndexLayout.analyzerKey`: this analyzer's mark when every one of the records was
    /// indexed under it, else empty (only when that changes the value). A record that cannot be
    /// read counts as another analyzer's.
    private func recordAnalyzer(_ read: (records: [DocumentRecord], unreadable: Int)) throws {
        let analyzer = builder.analyzer.fingerprint
        let value = read.unreadable == 0 && read.records.allSatisfy { $0.fingerprint?.hasSuffix("/" + analyzer) == true }
            ? IndexLayout.analyzerMark(analyzer, lastDocument: try writer.lastDocumentID()) : ""
        if try writer.metadataString(IndexLayout.analyzerKey) != value {
            try writer.setMetadata(IndexLayout.analyzerKey, value)
        }
    }

    /// Content hashes of the documents seen this run (for telling a rename from a removal).
    private var seenHashes: Set<String> = []

    /// How often a run commits. Each document's change is one transaction (its sections and
    /// record together), but committing each made every reader that had not reopened fail with
    /// DatabaseModifiedError after the writer's second commit: a reindex of 400 changed files
    /// made half the searches meanwhile fail. Readers reopen once and retry, which works when
    /// commits are this far apart. A crash loses at most this much work, which the next run redoes.
    public static let commitInterval: Duration = .milliseconds(250)
    private var lastCommit = ContinuousClock.now

    private func commitIfDue() throws {
        guard ContinuousClock.now - lastCommit >= Self.commitInterval else { return }
        try writer.commit()
        lastCommit = .now
    }

    private func indexFile(_ file: String, root: String, id: String, existing: DocumentRecord?,
                           vanishedHashes: [String: String], summary: inout IndexSummary) throws {
        let stamp = try SourceReader.stat(file)
        let sharingKey = "\(file)\u{0}\(stamp.size)\u{0}\(stamp.modified)\u{0}\(stamp.changed)\u{0}\(stamp.inode)\u{0}\(id)"
        // The same stamp as last run (size, modification and change times, inode): unchanged,
        // without reading the file.
        if let existing, existing.stamp == stamp, existing.file == file,
           existing.schema == schema.name, existing.fingerprint == fingerprint {
            seenHashes.insert(existing.hash)
            summary.unchanged += 1
            // Other shards' writers may need the file (their records disagree after an
            // interrupted run): this one's share of it is given up.
            sharedSectioning?.pass(sharingKey)
            return
        }
        let split = { (source: SourceReader.Decoded) -> SectionedDocument in
            var document = Sectioner(schema: self.schema).split(text: source.text, documentID: id, file: file,
                                                                 contentHash: source.contentHash)
            document.transcodedFrom = source.transcodedFrom
            return document
        }
        // Alone, a file is sectioned only once it is known to have changed; with other shards'
        // writers, the first to reach it reads and sections it for all of them (a file only
        // touched is then split once, unneeded: the price of not reading it once per shard).
        let shared = try sharedSectioning?.sectioned(sharingKey) { () throws(SourceError) in
            let source = try self.reader.read(file)
            return SharedSectioning.Sectioned(source: source, document: split(source))
        }
        let source = try shared?.source ?? reader.read(file)
        seenHashes.insert(source.contentHash)
        if let existing, existing.hash == source.contentHash, existing.file == file, existing.schema == schema.name,
           existing.fingerprint == fingerprint {
            // Touched but not changed: remember the new timestamp so the next run skips reading it.
            var record = existing
            record.stamp = stamp
            try writer.setMetadata(IndexLayout.documentKey(id), Array(try JSONEncoder().encode(record)))
            try commitIfDue()
            summary.unchanged += 1
            return
        }
        let document = shared?.document ?? split(source)
        // One scratch for the file's sections: the analyzer's buffers are reused, not remade.
        var scratch = AnalysisScratch()
        let held = document.sections.filter { $0.isIndexed && acceptsSection($0.id, id) }
        let built = try held.map { try builder.document(for: $0, of: document, scratch: &scratch) }
        let record = DocumentRecord(
            id: id, title: document.title, file: file, root: root, hash: source.contentHash, size: stamp.size,
            modified: stamp.modified, changed: stamp.changed, inode: stamp.inode, sections: built.count, indexedAt: Date().timeIntervalSince1970,
            schema: schema.name, year: document.year, transcodedFrom: source.transcodedFrom, fingerprint: fingerprint)
        let recordBytes = Array(try JSONEncoder().encode(record))
        let documentTerm = layout.documentTerm(id)
        // One transaction per document: its old sections, its new ones and its record change
        // together or not at all.
        let previous = try writer.termFrequency(documentTerm)
        try writer.transaction(flushed: false) { db in
            try db.delete(uniqueTerm: documentTerm)
            for (section, doc) in zip(held, built) {
                try db.replace(uniqueTerm: layout.sectionTerm(section.id), with: doc)
            }
            try db.setMetadata(IndexLayout.documentKey(id), recordBytes)
        }
        try commitIfDue()
        summary.sectionsRemoved += previous
        summary.sectionsAdded += built.count
        if let existing {
            summary.updated += 1
            if existing.hash == source.contentHash, existing.file == file { summary.rulesChanged += 1 }
        } else {
            summary.added += 1
        }
    }

    /// Removes a document's sections and record in one transaction, committed with the run's
    /// next commit (see `commitInterval`); returns how many sections.
    @discardableResult
    private func remove(documentID id: String) throws -> Int {
        let term = layout.documentTerm(id)
        let count = try writer.termFrequency(term)
        try writer.transaction(flushed: false) { db in
            try db.delete(uniqueTerm: term)
            try db.setMetadata(IndexLayout.documentKey(id), [])
        }
        try commitIfDue()
        return count
    }

    /// Regular files under `directory` with the schema's extensions, in a stable order (hidden
    /// files and directories, such as .git and editors' swap files, are skipped); the folders
    /// that could not be read (permissions): their files are not in `files`, which must not make
    /// them look deleted; and the files with the schema's extensions that cannot be indexed,
    /// said rather than skipped in silence.
    ///
    /// A symbolic link to a file is followed, as it is when given by name: linking a plan into
    /// a folder is a way of adding it. A link to a folder is not (a link back up would loop).
    func listing(_ directory: String) -> (files: [String], unreadable: [(folder: String, message: String)],
                                          unindexable: [IndexSummary.Failure]) {
        let url = URL(fileURLWithPath: directory)
        var unreadable: [(folder: String, message: String)] = []
        let keys: [URLResourceKey] = [.isRegularFileKey, .isSymbolicLinkKey]
        guard let enumerator = FileManager.default.enumerator(
            at: url, includingPropertiesForKeys: keys, options: [.skipsHiddenFiles],
            errorHandler: { folder, error in
                unreadable.append((folder.standardizedFileURL.path, (error as NSError).localizedDescription))
                return true
            }) else { return ([], [(directory, "cannot list the folder")], []) }
        var files: [String] = []
        var unindexable: [IndexSummary.Failure] = []
        let extensions = Set(schema.extensions.map { $0.lowercased() })
        for case let file as URL in enumerator {
            if !extensions.isEmpty, !extensions.contains(file.pathExtension.lowercased()) { continue }
            let name = file.lastPathComponent
            if name.hasSuffix("~") || name.hasPrefix("#") { continue }
            let path = file.standardizedFileURL.path
            guard let kind = try? file.resourceValues(forKeys: Set(keys)) else {
                // Foundation decodes a name that is not UTF-8 with U+FFFD, and then cannot find
                // the file by that name: it cannot have an id, so it is named as it was shown.
                // (The name may be a folder's on the way to the file.)
                if path.unicodeScalars.contains("\u{FFFD}") {
                    unindexable.append(.init(file: path, reason: SourceError.Reason.unreadable.rawValue,
                                             message: "its name, or a folder's on its path, is not valid UTF-8 (� marks the bytes); rename it to index the file"))
                }
                continue  // otherwise gone since the folder was listed
            }
            if kind.isSymbolicLink == true {
                var target = stat()
                if stat(path, &target) != 0 {
                    // Only a target that is not there makes the link broken. One that cannot be
                    // reached now (a folder closed by a permission change) goes on to be read,
                    // fails as unreadable, and keeps what was indexed: not a deletion.
                    let failure = errno
                    if [ENOENT, ENOTDIR, ELOOP].contains(failure) {
                        let destination = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
                        unindexable.append(.init(file: path, reason: SourceError.Reason.missing.rawValue,
                                                 message: failure == ELOOP
                                                    ? "a symbolic link to \(destination), which leads back to itself (a loop of links)"
                                                    : "a symbolic link to \(destination), which does not exist"))
                        continue
                    }
                } else if target.st_mode & S_IFMT == S_IFDIR {
                    continue
                }
            } else if kind.isRegularFile != true {
                continue
            }
            files.append(path)
        }
        return (files.sorted(), unreadable, unindexable)
    }

    public static func seconds(_ duration: Duration) -> Double {
        let (s, atto) = duration.components
        return Double(s) + Double(atto) * 1e-18
    }
}
