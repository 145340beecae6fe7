import Foundation
import Testing
@testable import PlanDaemon
import PlanIndex
import PlanProtocol
import Synchronization

/// The repository's shipped schemas, found from this file's place in the repository.
private let schemaDirectory: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path + "/IndexSchemas"
}()

@Suite("The reader pool")
struct ReaderPoolTests {
    /// A folder of plans and an index of it, removed at the end.
    final class Fixture {
        let path = NSTemporaryDirectory() + "plansearch-pool-" + UUID().uuidString
        let schema: Schema
        var database: String { path + "/db" }

        init() throws {
            try FileManager.default.createDirectory(atPath: path + "/plans", withIntermediateDirectories: true)
            schema = try Schema.load(path: schemaDirectory + "/un-plan.json")
            try write("a.txt", " 1. 泥炭地保护和恢复。 \n")
            try index()
        }

        func write(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path + "/plans/" + name))
        }

        func index() throws {
            let indexer = try Indexer(databasePath: database, schema: schema,
                                      analyzer: try AnalyzerChoice.plansearch.make(for: schema), durable: false)
            _ = try indexer.index(paths: [path + "/plans"])
            try indexer.close()
        }

        func pool() -> ReaderPool {
            let (database, schema) = (self.database, self.schema)
            return ReaderPool(count: 1) {
                try Searcher(databasePath: database, schema: schema,
                             analyzer: try AnalyzerChoice.plansearch.makeQueryAnalyzer(for: schema))
            }
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static func total(_ pool: ReaderPool, _ query: String) async throws -> Int {
        try await pool.run { try $0.search(SearchParams(query: query)).total }
    }

    @Test("a reader whose reopen failed answers from the commit it has, tries again on its next request, and then sees the new commit")
    func reopenRetried() async throws {
        let fixture = try Fixture()
        let pool = fixture.pool()
        #expect(try await Self.total(pool, "泥炭地") == 1)

        try fixture.write("b.txt", " 1. 泥炭地评估。 \n")
        try fixture.index()
        pool.generation.add(1, ordering: .releasing)
        // The index is out of reach while the reader reopens: that request is answered from
        // the commit the reader had.
        let aside = fixture.path + "/aside"
        try FileManager.default.moveItem(atPath: fixture.database, toPath: aside)
        #expect(try await Self.total(pool, "泥炭地") == 1)
        try FileManager.default.moveItem(atPath: aside, toPath: fixture.database)

        // No commit since: only the retried reopen shows b.txt.
        #expect(try await Self.total(pool, "泥炭地") == 2)
        await pool.shutdown()
    }

    @Test("fifty requests at once on one reader are each answered, in turn")
    func manyAtOnce() async throws {
        let fixture = try Fixture()
        let pool = fixture.pool()
        let totals = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 { group.addTask { try await Self.total(pool, "泥炭地") } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(totals == Array(repeating: 1, count: 50))
        await pool.shutdown()
    }
}

@Suite("The reader pool after shutdown")
struct ReaderPoolShutdownTests {
    @Test("a request after shutdown is answered with an error, and no reader is made again")
    func afterShutdown() async throws {
        let fixture = try ReaderPoolTests.Fixture()
        let made = Atomic<Int>(0)
        let (database, schema) = (fixture.database, fixture.schema)
        let pool = ReaderPool(count: 2) {
            made.add(1, ordering: .relaxed)
            return try Searcher(databasePath: database, schema: schema,
                                analyzer: try AnalyzerChoice.plansearch.makeQueryAnalyzer(for: schema))
        }
        #expect(try await ReaderPoolTests.total(pool, "泥炭地") == 1)
        let before = made.load(ordering: .relaxed)
        await pool.shutdown()
        await #expect(throws: (any Error).self) { try await ReaderPoolTests.total(pool, "泥炭地") }
        await #expect(throws: (any Error).self) { try await ReaderPoolTests.total(pool, "泥炭地") }
        #expect(made.load(ordering: .relaxed) == before)
    }
}
