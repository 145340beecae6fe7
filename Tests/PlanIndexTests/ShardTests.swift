import Foundation
import PlanProtocol
import Testing
@testable import PlanIndex

@Suite("Sharded indexes", .enabled(if: Paths.hasCorpus))
struct ShardTests {
    @Test("the same queries give the same hits in the same order on 1 and on 4 shards")
    func sameResults() throws {
        let scratch = try Scratch()
        let schema = try loadSchema("un-plan")
        let plans = scratch.path + "/plans"
        try FileManager.default.createDirectory(atPath: plans, withIntermediateDirectories: true)
        for name in ["itc-programme-plan-2021.txt", "itc-programme-budget-2008-2009.txt", "unido-annual-report-2020.txt"] {
            try FileManager.default.copyItem(atPath: Paths.corpus + "/" + name, toPath: plans + "/" + name)
        }
        try FileManager.default.copyItem(atPath: Paths.corpus + "/itc-programme-plan-2021.txt", toPath: plans + "/copy.txt")

        let single = scratch.path + "/single"
        let indexer = try Indexer(databasePath: single, schema: schema, analyzer: try AnalyzerChoice.plansearch.make(for: schema), durable: false)
        let one = try indexer.index(paths: [plans])
        try indexer.close()

        let sharded = scratch.path + "/sharded"
        let layout = try ShardLayout.create(sharded, count: 4)
        let four = try ShardedIndexing.index(layout: layout, schema: schema, analyzer: .plansearch, paths: [plans])
        #expect(four.added == one.added && four.sections == one.sections)
        // Documents spread over more than one shard, each in exactly one.
        let perShard = try layout.shardPaths.map { path -> Int in
            let i = try Indexer(databasePath: path, schema: schema, analyzer: XapianNgramAnalyzer())
            defer { try? i.close() }
            return try i.documents().count
        }
        #expect(perShard.reduce(0, +) == 4)
        #expect(perShard.filter { $0 > 0 }.count >= 2)

        let analyzer = try AnalyzerChoice.plansearch.makeQueryAnalyzer(for: schema)
        let a = try Searcher(databasePath: single, schema: schema, analyzer: analyzer)
        let b = try Searcher(databasePath: sharded, schema: schema, analyzer: analyzer)
        for query in ["妇女", "国贸中心 妇女", "\"可持续发展\"", "工发组织 2020", "电子商务 -青年", "COVID-19", "ITC"] {
            var params = SearchParams(query: query, limit: 20)
            let x = try a.search(params), y = try b.search(params)
            // `total` is Xapian's estimate, rounded when the match was not run to the end, and
            // the estimate is made per shard; only a count small enough to be exact must agree.
            if x.total <= 40 || y.total <= 40 {
                #expect(x.total == y.total, "\(query)")
            } else {
                #expect(abs(x.total - y.total) * 4 <= max(x.total, y.total), "\(query)")
            }
            // Up to ties: equal scores may come in either order, and the page may end inside a tie.
            let cut = x.hits.last?.score ?? 0
            func key(_ r: SearchResult) -> [String] { r.hits.filter { $0.score > cut }.map { "\($0.score)|\($0.id)" }.sorted() }
            #expect(key(x) == key(y), "\(query)")
            #expect(x.hits.map(\.score) == y.hits.map(\.score), "\(query)")
            params.perDoc = 1
            #expect(Set(try a.search(params).hits.map(\.doc)) == Set(try b.search(params).hits.map(\.doc)))
        }
        let hit = try #require(try b.search(SearchParams(query: "妇女")).hits.first)
        #expect(try b.section(id: hit.id)?.text == (try a.section(id: hit.id)?.text))
        #expect(Set(try b.documents().map(\.id)) == Set(try a.documents().map(\.id)))
        #expect(try b.sectionCount() == (try a.sectionCount()))

        // Incremental reindex and delete keep working shard by shard.
        try FileManager.default.removeItem(atPath: plans + "/copy.txt")
        let again = try ShardedIndexing.index(layout: layout, schema: schema, analyzer: .plansearch, paths: [plans])
        #expect(again.removed == 1 && again.unchanged == 3)
    }
}
