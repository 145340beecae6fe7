import Foundation
import PlanProtocol
import Testing
@testable import PlanIndex

@Suite("A reader's cache of the sections it showed")
struct SectionCacheTests {
    /// Stored bytes of `n` bytes: what the cache holds does not depend on what they say.
    static func bytes(_ n: Int) -> [UInt8] { Array(repeating: 7, count: n) }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let budget: Int
        /// Document ids kept, in order, each with 1,000 bytes; a negative id is a lookup of -id.
        let steps: [Int]
        let kept: Set<UInt32>
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // Each entry costs 1,256 (1,000 bytes and the overhead): a generation (half of 10,000)
        // holds 3.
        Case(name: "under budget, everything stays", budget: 10_000, steps: [1, 2, 3, 4], kept: [1, 2, 3, 4]),
        Case(name: "a full generation becomes the older one; the one before it goes", budget: 10_000,
             steps: [1, 2, 3, 4, 5, 6, 7], kept: [4, 5, 6, 7]),
        Case(name: "an entry used again moves to the recent generation and stays", budget: 10_000,
             steps: [1, 2, 3, 4, -1, 5, 6, 7], kept: [1, 4, 5, 6, 7]),
        Case(name: "budget 0 keeps nothing", budget: 0, steps: [1, 2], kept: []),
        Case(name: "an entry larger than half the budget is not kept", budget: 2_400, steps: [1], kept: []),
    ]

    @Test("what stays within the budget", arguments: cases)
    func keeping(_ c: Case) {
        var cache = SectionCache(budget: c.budget)
        for step in c.steps {
            if step < 0 {
                _ = cache.data(UInt32(-step))
            } else {
                cache.keep(UInt32(step), data: Self.bytes(1_000))
            }
        }
        // Looked up in a copy each: a lookup moves an entry, which could push out the next one.
        let kept = Set((1...9).map(UInt32.init).filter { id in
            var copy = cache
            return copy.data(id) != nil
        })
        #expect(kept == c.kept)
        #expect(cache.cost <= max(c.budget, 0))
    }

    @Test("a long run of reads never holds more than the budget, and keeps what it read last")
    func bounded() {
        var cache = SectionCache(budget: 100_000)
        for id in 1...2_000 {
            cache.keep(UInt32(id), data: Self.bytes(300 + id % 700))
            #expect(cache.cost <= 100_000)
        }
        #expect(cache.data(2_000) != nil)
        #expect(cache.data(1) == nil)
    }
}

@Suite("Searches through the section cache")
final class SectionCacheSearchTests {
    let scratch: Scratch
    let schema: Schema
    let analyzer: any QueryAnalyzer

    init() throws {
        scratch = try Scratch()
        schema = try loadSchema("un-plan")
        analyzer = try AnalyzerChoice.plansearch.makeQueryAnalyzer(for: schema)
        try scratch.write("plans/a.txt", " 1.1 保护泥炭地和湿地，减少温室气体排放。 \n\n 1.2 国际贸易中心协助妇女进入市场。 \n\n 1.3 妇女和青年的市场准入。 \n")
        try index()
    }

    func index() throws {
        let indexer = try Indexer(databasePath: scratch.path + "/db", schema: schema,
                                  analyzer: try AnalyzerChoice.plansearch.make(for: schema), durable: false)
        _ = try indexer.index(paths: [scratch.path + "/plans"])
        try indexer.close()
    }

    func searcher(budget: Int) throws -> Searcher {
        let searcher = try Searcher(databasePath: scratch.path + "/db", schema: schema, analyzer: analyzer)
        searcher.sectionCacheBudget = budget
        return searcher
    }

    @Test("a section changed and reindexed shows its new text after the reader moves on, not the one it kept")
    func reopenForgets() throws {
        let searcher = try searcher(budget: Searcher.defaultSectionCacheBudget)
        let before = try searcher.search(SearchParams(query: "妇女"))
        #expect(Set(before.hits.compactMap(\.para)) == ["1.2", "1.3"])
        #expect(searcher.cachedSections == 2)
        // The same paragraphs, so the same section ids and (replaced in place) document ids.
        try scratch.write("plans/a.txt", " 1.1 保护泥炭地和湿地。 \n\n 1.2 妇女进入新兴市场的渠道。 \n\n 1.3 妇女和青年的市场准入。 \n")
        try index()
        try searcher.reopen()
        // Emptied: Xapian hands out new ids to replaced sections here, but a document id only
        // names one section within one revision (a rebuilt index starts again from 1).
        #expect(searcher.cachedSections == 0)
        let after = try searcher.search(SearchParams(query: "妇女"))
        let changed = try #require(after.hits.first { $0.para == "1.2" })
        #expect(changed.snippet.contains("新兴市场"))
        #expect(!changed.snippet.contains("国际贸易中心"))
        let text = try #require(try searcher.section(id: changed.id)?.text)
        #expect(text.contains("新兴市场"))
    }

    @Test("searches answer the same with the cache, from the first search to the repeated ones, as without it",
          arguments: ["妇女", "\"泥炭地\"", "妇女 市场", "如何保护泥炭地", "贸易 -妇女"])
    func sameAnswers(_ query: String) throws {
        let cached = try searcher(budget: Searcher.defaultSectionCacheBudget)
        let plain = try searcher(budget: 0)
        for round in 0..<3 {
            var params = SearchParams(query: query)
            params.withText = true
            var a = try cached.search(params), b = try plain.search(params)
            a.tookMs = 0
            b.tookMs = 0
            #expect(a == b)
            #expect(plain.cachedSections == 0)
            if round > 0, !a.hits.isEmpty { #expect(cached.cachedSections > 0) }
        }
    }
}
