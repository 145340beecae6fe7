import Foundation
import Testing
@testable import XapianKit

@Suite("Opening, writing, and what goes wrong")
struct DatabaseTests {
    @Test("a second writer gets the locked error; waiting is opt-in")
    func secondWriterIsLocked() throws {
        let directory = try TemporaryDirectory()
        let first = try WritableDatabase(path: directory.database(), durable: false)
        #expect(code(of: { _ = try WritableDatabase(path: directory.database()) }) == .databaseLocked)
        try first.close()
        // Once the first lets go, a writer opens.
        let second = try WritableDatabase(path: directory.database(), mode: .open, waitForLock: true)
        try second.close()
    }

    @Test("a compacted copy keeps the document ids and the last id, gaps included; the directories swap")
    func compactKeepsIDs() throws {
        let directory = try TemporaryDirectory()
        let writer = try WritableDatabase(path: directory.database(), durable: false)
        for i in 1...5 {
            var doc = Document()
            doc.addBooleanTerm("Q\(i)")
            doc.data = Array("doc \(i)".utf8)
            try writer.add(doc)
        }
        try writer.delete(documentID: 1)
        try writer.delete(documentID: 5)
        try writer.setMetadata("k", "v")
        try writer.close()
        let reader = try Database(path: directory.database())
        try reader.compact(into: directory.database("copy"))
        try reader.close()
        let copy = try Database(path: directory.database("copy"))
        #expect(try copy.lastDocumentID() == 5)
        #expect(try copy.postings("Q3") == [3])
        #expect(try copy.metadataString("k") == "v")
        try copy.close()
        #expect(exchangeDirectories(directory.database(), directory.database("copy")) == 0)
        #expect(exchangeDirectories(directory.database(), directory.database("absent")) != 0)
    }

    @Test("opening a missing database gets not-found, for readers and for mode .open")
    func missingDatabase() throws {
        let directory = try TemporaryDirectory()
        #expect(code(of: { _ = try Database(path: directory.database("nope")) }) == .databaseNotFound)
        #expect(code(of: { _ = try WritableDatabase(path: directory.database("nope"), mode: .open) }) == .databaseNotFound)
        #expect(code(of: { _ = try Database(path: "") }) == .invalidArgument)
    }

    @Test("creating where a database exists fails with mode .create")
    func createExisting() throws {
        let directory = try TemporaryDirectory()
        try writeFixtures(at: directory.database())
        #expect(code(of: { _ = try WritableDatabase(path: directory.database(), mode: .create) }) != nil)
        let overwritten = try WritableDatabase(path: directory.database(), mode: .createOrOverwrite, durable: false)
        #expect(try overwritten.documentCount() == 0)
        try overwritten.close()
    }

    @Test("a reader that misses two commits gets the modified error, and works after reopen")
    func readerFallsBehind() throws {
        let directory = try TemporaryDirectory()
        let path = directory.database()
        // Enough documents that the tables have more than a root block: a reader keeps its root
        // in memory, so over a tiny database it would never notice blocks being reused.
        let setup = try WritableDatabase(path: path, durable: false)
        for i in 0..<3000 {
            try setup.add(section(id: "b\(i)", plan: "base\(i)", year: 2000, text: "基础文本第\(i)号"))
        }
        try setup.commit()
        try setup.close()

        let reader = try Database(path: path)
        defer { try? reader.close() }
        let probe = { () throws -> Void in
            _ = try reader.search(phrase("文本"))
            _ = try reader.allTerms()
        }
        #expect(code(of: probe) == nil)

        let writer = try WritableDatabase(path: path, durable: false)
        defer { try? writer.close() }
        func commitBatch(_ round: Int) throws {
            for i in 0..<200 {
                try writer.add(section(id: "n\(round)-\(i)", plan: "new\(i)", year: 2022, text: "妇女与发展\(round)第\(i)"))
            }
            try writer.commit()
        }
        try commitBatch(1)
        #expect(code(of: probe) == nil, "a reader survives one commit")
        try commitBatch(2)
        #expect(code(of: probe) == .databaseModified)

        #expect(try reader.reopen())
        #expect(code(of: probe) == nil)
        #expect(try reader.documentCount() == 3400)
        #expect(try reader.termFrequency("Pnew7") == 2)
        #expect(try reader.search(phrase("妇女与发展")).hits.count == 10)
    }

    @Test("a cancelled transaction leaves nothing; a committed one everything")
    func transactions() throws {
        let directory = try TemporaryDirectory()
        try writeFixtures(at: directory.database())
        let writer = try WritableDatabase(path: directory.database(), durable: false)
        defer { try? writer.close() }

        try writer.beginTransaction()
        #expect(writer.inTransaction)
        try writer.add(section(id: "x1", plan: "tmp", year: 2030, text: "临时"))
        try writer.delete(uniqueTerm: "Qs1")
        try writer.setMetadata("hash", "abc")
        try writer.cancelTransaction()
        #expect(try writer.documentCount() == 5)
        #expect(try writer.termFrequency("Qx1") == 0)
        #expect(try writer.termFrequency("Qs1") == 1)
        #expect(try writer.metadataString("hash") == "")

        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try writer.transaction { db in
                try db.add(section(id: "x2", plan: "tmp", year: 2030, text: "临时"))
                throw Abort()
            }
        }
        #expect(try writer.termFrequency("Qx2") == 0)
        #expect(!writer.inTransaction)

        try writer.transaction { db in
            try db.replace(uniqueTerm: "Qs2", with: section(id: "s2", plan: "itc", year: 2009, text: "新的预算"))
            try db.setMetadata("hash", "def")
        }
        let reader = try Database(path: directory.database())
        defer { try? reader.close() }
        #expect(try reader.metadataString("hash") == "def")
        #expect(try reader.documentCount() == 5)
        #expect(ids(try reader.search(phrase("新的"))) == ["s2"])
        // Committing a transaction that is not open is Xapian's invalid-operation error.
        #expect(code(of: { try writer.commitTransaction() }) == .invalidOperation)
    }

    @Test("replace and delete by unique term")
    func replaceAndDelete() throws {
        let directory = try TemporaryDirectory()
        try writeFixtures(at: directory.database())
        let writer = try WritableDatabase(path: directory.database(), durable: false)
        defer { try? writer.close() }
        let id = try writer.replace(uniqueTerm: "Qs3", with: section(id: "s3", plan: "un", year: 2021, text: "替换后的文本"))
        #expect(try writer.documentCount() == 5)
        #expect(try writer.document(id).dataString == "s3")
        #expect(try writer.search(phrase("可持续")).hits.map(\.dataString) == ["s5"])
        try writer.delete(uniqueTerm: "Qs3")
        try writer.delete(uniqueTerm: "Qnothing")
        #expect(try writer.documentCount() == 4)
        #expect(code(of: { try writer.delete(documentID: 9999) }) == .documentNotFound)
        try writer.replace(documentID: 1, with: section(id: "s1", plan: "itc", year: 2021, text: "改"))
        #expect(try writer.document(1).dataString == "s1")
        try writer.commit()
    }

    @Test("a corrupted table gets the corrupt error, not a crash")
    func corruptDatabase() throws {
        let directory = try TemporaryDirectory()
        let path = directory.database()
        let writer = try WritableDatabase(path: path, durable: false)
        for i in 0..<300 {
            try writer.add(section(id: "c\(i)", plan: "p\(i % 7)", year: 2000 + Double(i % 20),
                                   text: String(repeating: "可持续发展目标和妇女\(i)", count: 5)))
        }
        try writer.commit()
        try writer.close()

        // Overwrite every block after the first of the posting table with garbage.
        let table = path + "/postlist.glass"
        let original = try Data(contentsOf: URL(fileURLWithPath: table))
        #expect(original.count > 8192)
        var damaged = original
        for i in 8192..<damaged.count { damaged[i] = UInt8(truncatingIfNeeded: i &* 31 &+ 7) }
        try damaged.write(to: URL(fileURLWithPath: table))

        let failure = code(of: {
            let reader = try Database(path: path)
            defer { try? reader.close() }
            _ = try reader.search(phrase("可持续发展"), options: { var o = SearchOptions(); o.limit = 1000; return o }())
            _ = try reader.allTerms()
        })
        #expect(failure == .databaseCorrupt)

        // A table file cut short is also reported, at open or at first use.
        try original.prefix(100).write(to: URL(fileURLWithPath: table))
        let truncated = code(of: {
            let reader = try Database(path: path)
            defer { try? reader.close() }
            _ = try reader.allTerms()
        })
        #expect(truncated == .databaseCorrupt || truncated == .databaseOpening || truncated == .database)
    }

    @Test("readers on several threads, each with its own handle")
    func concurrentReaders() async throws {
        let directory = try TemporaryDirectory()
        try writeFixtures(at: directory.database())
        let path = directory.database()
        let expected = try {
            let reader = try Database(path: path)
            defer { try? reader.close() }
            return try reader.search(phrase("发展")).hits.map(\.documentID)
        }()
        let results = try await withThrowingTaskGroup(of: [[UInt32]].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    // The handle is made, used and closed inside this task; it cannot leave it.
                    let reader = try Database(path: path)
                    defer { try? reader.close() }
                    var seen: [[UInt32]] = []
                    for _ in 0..<200 { seen.append(try reader.search(phrase("发展")).hits.map(\.documentID)) }
                    return seen
                }
            }
            var all: [[UInt32]] = []
            for try await batch in group { all += batch }
            return all
        }
        #expect(results.count == 1600)
        #expect(results.allSatisfy { $0 == expected })
    }

    @Test("use after close is an error; a missing close is noticed in debug builds")
    func closing() throws {
        let directory = try TemporaryDirectory()
        try writeFixtures(at: directory.database())
        let reader = try Database(path: directory.database())
        try reader.close()
        try reader.close()  // twice is harmless
        #expect(code(of: { _ = try reader.documentCount() }) == .databaseClosed)

        #if DEBUG
        let before = XapianDiagnostics.unclosedHandles
        do { _ = try Database(path: directory.database()) }
        #expect(XapianDiagnostics.unclosedHandles > before)
        #endif
    }

    @Test("bad arguments are errors, not crashes")
    func badArguments() throws {
        let directory = try TemporaryDirectory()
        let writer = try WritableDatabase(path: directory.database(), durable: false)
        defer { try? writer.close() }
        var tooLong = Document()
        tooLong.addPosting(String(repeating: "长", count: 200), at: 1)  // 600 bytes: over Xapian's limit
        #expect(code(of: { try writer.add(tooLong) }) == .invalidArgument)
        #expect(code(of: { _ = try writer.search(.term("")) }) == .invalidArgument)
        #expect(code(of: { _ = try writer.search(.near([.term("a")], window: -1)) }) == .invalidArgument)
        #expect(code(of: { try writer.setMetadata("", "x") }) == .invalidArgument)
        #expect(code(of: { _ = try writer.document(0) }) == .invalidArgument)
        var options = SearchOptions()
        options.limit = -1
        #expect(code(of: { _ = try writer.search(.matchAll, options: options) }) == .invalidArgument)
        // A writer can be searched as a shard (it sees its own uncommitted documents).
        let combined = try Database(combining: [writer])
        #expect(try combined.documentCount() == 0)
        try combined.close()
        #expect(try writer.documentCount() == 0)
    }

    @Test("metadata round-trips arbitrary bytes")
    func metadata() throws {
        let directory = try TemporaryDirectory()
        let writer = try WritableDatabase(path: directory.database(), durable: false)
        defer { try? writer.close() }
        let bytes: [UInt8] = [0, 1, 2, 255, 0, 42]
        try writer.setMetadata("binary", bytes)
        try writer.setMetadata("文档", "哈希")
        try writer.commit()
        #expect(try writer.metadata("binary") == bytes)
        #expect(try writer.metadataString("文档") == "哈希")
        #expect(try writer.metadata("absent") == [])
        try writer.setMetadata("doc:b", "2")
        try writer.setMetadata("doc:a", "1")
        #expect(try writer.metadataKeys(prefix: "doc:") == ["doc:a", "doc:b"])
    }

    @Test("sortable numbers keep numeric order in byte order")
    func sortableNumbers() {
        let numbers: [Double] = [-1e9, -2.5, -1, 0, 0.5, 1, 2, 10, 2018, 2021, 1e12]
        let encoded = numbers.map(SortableNumber.encode)
        #expect(encoded.map(SortableNumber.decode) == numbers)
        #expect(zip(encoded, encoded.dropFirst()).allSatisfy { $0.lexicographicallyPrecedes($1) })
    }
}

@Suite("Xapian's own TermGenerator and QueryParser (the baseline)")
struct BaselineTests {
    @Test("CJK n-gram indexing finds Chinese words and phrases")
    func ngramBaseline() throws {
        let directory = try TemporaryDirectory()
        let writer = try WritableDatabase(path: directory.database(), durable: false)
        defer { try? writer.close() }
        try writer.add(XapianBaseline.document(text: "国际贸易中心协助妇女进入市场", data: Array("a".utf8)))
        try writer.add(XapianBaseline.document(text: "可持续发展目标 COVID-19 planning", data: Array("b".utf8)))
        try writer.commit()
        #expect(ids(try writer.search(XapianBaseline.query("贸易中心"))) == ["a"])
        #expect(ids(try writer.search(XapianBaseline.query("\"发展目标\""))) == ["b"])
        #expect(ids(try writer.search(XapianBaseline.query("planning"))) == ["b"])
        #expect(try writer.search(XapianBaseline.query("协助妇女进")).hits.count == 1)
        #expect(try XapianBaseline.indexText("国际贸易中心") == 6)
        #expect(try XapianBaseline.query("妇女").xapianDescription().contains("妇"))
    }

    @Test("QueryParser's 1.4.22 bug surfaces as the query-parse error, not a crash")
    func queryParserError() throws {
        let directory = try TemporaryDirectory()
        let writer = try WritableDatabase(path: directory.database(), durable: false)
        defer { try? writer.close() }
        #expect(code(of: { _ = try writer.search(XapianBaseline.query("planning 总体规划 2035")) }) == .queryParse)
    }
}
