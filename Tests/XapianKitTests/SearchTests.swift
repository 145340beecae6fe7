import Testing
import Glibc
@testable import XapianKit

@Suite("Searching through XapianKit")
final class SearchTests {
    let directory: TemporaryDirectory
    let reader: Database

    init() throws {
        directory = try TemporaryDirectory()
        try writeFixtures(at: directory.database())
        reader = try Database(path: directory.database())
    }

    deinit { try? reader.close() }

    @Test("a phrase matches consecutive positions only")
    func phraseSearch() throws {
        #expect(Set(ids(try reader.search(phrase("贸易中心")))) == ["s1", "s2"])
        #expect(Set(ids(try reader.search(phrase("可持续发展")))) == ["s3", "s5"])
        // 妇 and 女 are both in s1 and s3, 中 and 心 in s1, s2: only as neighbours for a phrase.
        #expect(ids(try reader.search(phrase("心妇"))).isEmpty)
        #expect(Set(ids(try reader.search(.and([.term("心"), .term("妇")])))) == ["s1"])
    }

    @Test("near matches within the window in any order")
    func nearSearch() throws {
        // In s1, 协 is at 7 and 场 at 14: 8 positions apart.
        #expect(ids(try reader.search(.near([.term("场"), .term("协")], window: 8))) == ["s1"])
        #expect(ids(try reader.search(.near([.term("场"), .term("协")], window: 4))).isEmpty)
    }

    @Test("boolean operators and filters")
    func booleanSearch() throws {
        #expect(Set(ids(try reader.search(.or([phrase("预算"), phrase("工业")])))) == ["s2", "s5"])
        #expect(Set(ids(try reader.search(.andNot(phrase("发展"), phrase("可持续"))))) == ["s4"])
        #expect(Set(ids(try reader.search(.filter(phrase("发展"), .term("Pun"))))) == ["s3", "s4"])
        // AND_MAYBE matches what the first matches; the second only reorders.
        let maybe = try reader.search(.andMaybe(phrase("发展"), phrase("工业")))
        #expect(Set(ids(maybe)) == ["s3", "s4", "s5"])
        #expect(ids(maybe).first == "s5")
        #expect(Set(ids(try reader.search(.xor([.term("妇"), .term("贸")])))) == ["s2", "s3", "s4"])
        #expect(Set(ids(try reader.search(.synonym([phrase("工业"), phrase("预算")])))) == ["s2", "s5"])
        #expect(Set(ids(try reader.search(.max([.term("妇"), .term("业")])))) == ["s1", "s3", "s5"])
        #expect(try reader.search(.matchAll).estimatedMatches == 5)
        #expect(try reader.search(.matchNothing).hits.isEmpty)
    }

    @Test("match-all queries built on many threads at once: each its own, so nothing is corrupted")
    func matchAllAcrossThreads() async throws {
        // Xapian::Query::MatchAll is one static object with a non-atomic reference count: the
        // shim once copied it, and reader threads doing so at once corrupted the heap (the
        // daemon crashed under eight clients). Each compile now makes its own.
        let query = Query.and([.matchAll, .term("妇")])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<20_000 { _ = try query.xapianDescription() }
                }
            }
            try await group.waitForAll()
        }
        #expect(try reader.search(.matchAll).estimatedMatches == 5)
        #expect(try query.xapianDescription().contains("<alldocuments>"))
    }

    @Test("a filter term alone weighs nothing but still matches")
    func booleanTermOnly() throws {
        let results = try reader.search(.term("Pitc"))
        #expect(Set(ids(results)) == ["s1", "s2"])
        #expect(results.hits.allSatisfy { $0.weight == 0 })
    }

    @Test("value ranges over sortable numbers and strings")
    func valueRanges() throws {
        #expect(Set(ids(try reader.search(.numberRange(slot: Slot.year, from: 2020, to: 2020)))) == ["s4", "s5"])
        #expect(Set(ids(try reader.search(.numberRange(slot: Slot.year, from: 2010, to: nil)))) == ["s1", "s3", "s4", "s5"])
        #expect(ids(try reader.search(.numberRange(slot: Slot.year, from: nil, to: 2010))) == ["s2"])
        #expect(Set(ids(try reader.search(.valueRange(slot: Slot.plan, from: Array("u".utf8), to: nil)))) == ["s3", "s4", "s5"])
        let filtered = try reader.search(.filter(phrase("妇女"), .numberRange(slot: Slot.year, from: 2021, to: 2021)))
        #expect(Set(ids(filtered)) == ["s1", "s3"])
    }

    @Test("scale weight multiplies the weight; elite set keeps the rarest terms")
    func weighting() throws {
        let plain = try reader.search(.term("算"))
        let scaled = try reader.search(.scaleWeight(.term("算"), 3))
        let w = try #require(plain.hits.first?.weight)
        let w3 = try #require(scaled.hits.first?.weight)
        #expect(abs(w3 - 3 * w) < 1e-9)
        // Elite set of 1 over a rare and a common term keeps the rare one: only s2 has 算.
        #expect(ids(try reader.search(.eliteSet([.term("算"), .term("发")], size: 1))) == ["s2"])
    }

    @Test("hits carry rank, weight, percent, data, values and matching terms")
    func hitContents() throws {
        var options = SearchOptions()
        options.includeMatchingTerms = true
        let results = try reader.search(.or([.term("妇"), .term("预")]), options: options)
        #expect(results.hits.map(\.rank) == Array(0..<results.hits.count))
        #expect(zip(results.hits, results.hits.dropFirst()).allSatisfy { $0.weight >= $1.weight })
        let top = try #require(results.hits.first)
        #expect(top.percent > 0 && top.percent <= 100)
        let s1 = try #require(results.hits.first { $0.dataString == "s1" })
        #expect(s1.valueString(Slot.plan) == "itc")
        #expect(s1.valueNumber(Slot.year) == 2021)
        #expect(s1.matchingTerms == ["妇"])
        #expect(results.estimatedMatches == 3)
        #expect(results.lowerBound <= 3 && results.upperBound >= 3)
    }

    @Test("offset and limit page through the same order")
    func paging() throws {
        var options = SearchOptions()
        options.limit = 100
        let all = try reader.search(.matchAll, options: options)
        options.offset = 2
        options.limit = 2
        let page = try reader.search(.matchAll, options: options)
        #expect(page.hits.map(\.documentID) == Array(all.hits.map(\.documentID)[2..<4]))
        #expect(page.hits.first?.rank == 2)
        options.checkAtLeast = 10
        #expect(try reader.search(.matchAll, options: options).isExact)
    }

    @Test("collapse keeps the best hits per value and counts the rest")
    func collapse() throws {
        var options = SearchOptions()
        options.collapse = (slot: Slot.plan, max: 1)
        let results = try reader.search(.matchAll, options: options)
        #expect(Set(results.hits.compactMap { $0.valueString(Slot.plan) }) == ["itc", "un", "unido"])
        #expect(results.hits.count == 3)
        #expect(results.hits.map(\.collapseCount).reduce(0, +) == 2)
        options.collapse = (slot: Slot.plan, max: 2)
        #expect(try reader.search(.matchAll, options: options).hits.count == 5)
    }

    @Test("sort by value, both directions, and value then relevance")
    func sorting() throws {
        var options = SearchOptions()
        options.limit = 10
        options.sort = .value(slot: Slot.year, descending: false)
        let ascending = try reader.search(.matchAll, options: options).hits.compactMap { $0.valueNumber(Slot.year) }
        #expect(ascending == ascending.sorted())
        #expect(ascending.first == 2009)
        options.sort = .value(slot: Slot.year, descending: true)
        #expect(try reader.search(.matchAll, options: options).hits.first?.valueNumber(Slot.year) == 2021)
        options.sort = .valueThenRelevance(slot: Slot.plan, descending: false)
        let plans = try reader.search(.term("发"), options: options).hits.compactMap { $0.valueString(Slot.plan) }
        #expect(plans == plans.sorted())
        options.sort = .relevanceThenValue(slot: Slot.plan, descending: false)
        #expect(try reader.search(.term("发"), options: options).hits.count == 3)
    }

    @Test("BM25 parameters change the weights")
    func bm25Parameters() throws {
        var options = SearchOptions()
        let base = try #require(try reader.search(.term("发"), options: options).hits.first?.weight)
        options.bm25 = BM25Parameters(k1: 2.0, b: 0.9)
        let tuned = try #require(try reader.search(.term("发"), options: options).hits.first?.weight)
        #expect(abs(base - tuned) > 1e-6)
        options.booleanWeighting = true
        #expect(try reader.search(.term("发"), options: options).hits.allSatisfy { $0.weight == 0 })
    }

    @Test("database statistics, term listing, postings and documents")
    func statistics() throws {
        #expect(try reader.documentCount() == 5)
        #expect(try reader.averageLength() > 5)
        #expect(try reader.termFrequency("发") == 3)
        #expect(try reader.collectionFrequency("发") == 4)
        let plans = try reader.allTerms(prefix: "P")
        #expect(plans.map(\.term) == ["Pitc", "Pun", "Punido"])
        #expect(plans.map(\.frequency) == [2, 2, 1])
        #expect(try reader.allTerms(prefix: "P", limit: 1).count == 1)
        let id = try #require(try reader.postings("Qs3").first)
        let stored = try reader.document(id, includeTerms: true)
        #expect(stored.dataString == "s3")
        #expect(stored.terms.contains(TermEntry(term: "发", frequency: 1)))
        #expect(throws: XapianError.self) { try reader.document(999) }
        #expect(code(of: { try reader.document(999) }) == .documentNotFound)
        // The data alone, checked or assumed valid (an id a search just returned); values too.
        #expect(try reader.documentData(id) == Array("s3".utf8))
        #expect(try reader.documentData(id, assumeValid: true) == Array("s3".utf8))
        #expect(try reader.values(id, slots: [0, 1], assumeValid: true) == stored.values.filter { [0, 1].contains($0.key) })
        #expect(code(of: { try reader.documentData(999) }) == .documentNotFound)
        // Not checked, a missing document reads as nothing rather than failing.
        #expect(try reader.documentData(999, assumeValid: true).isEmpty)
    }

    @Test("query descriptions show Xapian's structure")
    func descriptions() throws {
        let text = try Query.phrase([.term("a"), .term("b")]).xapianDescription()
        #expect(text.contains("PHRASE"))
        let near = try Query.near([.term("a"), .term("b")], window: 5).xapianDescription()
        #expect(near.contains("NEAR 5"))
        #expect(try Query.scaleWeight(.term("a"), 2).xapianDescription().contains("2 * a"))
    }

    @Test("relaxing positions: a superset of the matches, each weighing at least as much")
    func relaxedPositions() throws {
        let exact = Query.andMaybe(.or([phrase("贸易中心"), .near([.term("场"), .term("协")], window: 4)]),
                                   .or([phrase("妇女"), .term("发")]))
        let relaxed = exact.positionsRelaxed
        #expect(exact.hasPositionalCondition)
        #expect(!relaxed.hasPositionalCondition)
        #expect(relaxed == .andMaybe(.or([.and(chars("贸易中心")), .and([.term("场"), .term("协")])]),
                                     .or([.and(chars("妇女")), .term("发")])))
        var options = SearchOptions()
        options.limit = 100
        let strict = Dictionary(uniqueKeysWithValues: try reader.search(exact, options: options).hits.map { ($0.documentID, $0.weight) })
        let loose = Dictionary(uniqueKeysWithValues: try reader.search(relaxed, options: options).hits.map { ($0.documentID, $0.weight) })
        #expect(!strict.isEmpty)
        for (id, weight) in strict {
            #expect((loose[id] ?? -1) >= weight - 1e-9)
        }
        // What is excluded stays exact: relaxed, it would exclude more.
        let excluding = Query.andNot(.term("发"), phrase("心妇"))
        #expect(excluding.positionsRelaxed == excluding)
    }

    private func chars(_ text: String) -> [Query] { text.map { .term(String($0)) } }

    @Test("a list of document ids matches exactly those, weighs nothing, and restricts a query")
    func documentList() throws {
        let all = try reader.search(.matchAll)
        let idOf = Dictionary(uniqueKeysWithValues: all.hits.map { ($0.dataString, $0.documentID) })
        let chosen = try ["s4", "s1", "s4", "s2"].map { try #require(idOf[$0]) }  // any order, repeats
        let listed = try reader.search(.documents(chosen))
        #expect(Set(ids(listed)) == ["s1", "s2", "s4"])
        #expect(listed.hits.allSatisfy { $0.weight == 0 })
        #expect(try reader.search(.documents([])).hits.isEmpty)
        // Leading an AND_MAYBE, the list picks the documents and the query weighs them as alone.
        let weighed = try reader.search(.andMaybe(.scaleWeight(.documents(chosen), 0), phrase("贸易中心")))
        let alone = try reader.search(phrase("贸易中心"))
        #expect(Set(ids(weighed)) == ["s1", "s2", "s4"])
        for hit in alone.hits {
            #expect(weighed.hits.first { $0.documentID == hit.documentID }?.weight == hit.weight)
        }
        #expect(weighed.hits.first { $0.dataString == "s4" }?.weight == 0)
    }

    /// The fixtures and a second database of one section ("t1"), searched as one; closed by `body`'s end.
    func withSecondDatabase(_ name: String, _ body: (Database) throws -> Void) throws {
        let second = directory.database(name)
        let writer = try WritableDatabase(path: second, durable: false)
        try writer.add(section(id: "t1", plan: "extra", year: 2022, text: "国际贸易中心的新方案"))
        try writer.commit()
        try writer.close()
        let other = try Database(path: second)
        let both = try Database(combining: [reader, other])
        defer { try? both.close(); try? other.close() }
        try body(both)
    }

    @Test("a list of document ids is refused over several databases (its ids are one database's)")
    func documentListCombined() throws {
        try withSecondDatabase("second-list") { both throws in
            #expect(throws: XapianError.self) { try both.search(.documents([1])) }
        }
    }

    @Test("several databases searched as one")
    func combined() throws {
        try withSecondDatabase("second") { both throws in
            #expect(try both.documentCount() == 6)
            #expect(Set(ids(try both.search(phrase("贸易中心")))) == ["s1", "s2", "t1"])
        }
    }
}

@Suite("What weighs nothing is matched without AND_MAYBE (Xapian 1.4.22)")
final class UnweightedAndMaybeTests {
    let directory: TemporaryDirectory
    let reader: Database

    /// One section holding 必不可少, 必 and 经济 but not H经济 (the excluded side matches it by
    /// 经济), among sections holding 经济, some also H经济.
    init() throws {
        directory = try TemporaryDirectory()
        let writer = try WritableDatabase(path: directory.database(), mode: .create, durable: false)
        var target = Document()
        for term in ["经济", "必不可少", "必"] { target.addTerm(term) }
        target.setData("target")
        _ = try writer.add(target)
        for n in 0..<60 {
            var doc = Document()
            doc.addTerm("经济", wdfIncrement: UInt32(1 + n % 3))
            if n % 4 == 0 { doc.addTerm("H经济") }
            if n % 5 == 0 { doc.addTerm("必") }
            doc.setData("s\(n)")
            _ = try writer.add(doc)
        }
        try writer.commit()
        try writer.close()
        reader = try Database(path: directory.database())
    }

    deinit { try? reader.close() }

    /// Xapian left the AND_MAYBE's maximum weights as the heap held them; freed blocks of its
    /// size, filled with -1.0, are what made it drop the OR's alternative (see
    /// `Query.matchingOnly`). Done on this thread just before each search, whose allocations reuse them.
    static func leaveNegativeGarbage() {
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<64 {
            guard let block = malloc(72) else { continue }
            let doubles = block.bindMemory(to: Double.self, capacity: 9)
            for i in 0..<9 { doubles[i] = -1.0 }
            blocks.append(block)
        }
        for block in blocks { free(block) }
    }

    /// (The filter never went wrong, with or without the matching form: it checks that the
    /// form still restricts as the filter did.)
    @Test("an AND_MAYBE inside the excluded side of AND_NOT never lets an excluded section through; inside a filter it still restricts")
    func exclusion() throws {
        let excluded: Query = .and([.andMaybe(.term("必不可少"), .term("必")), .or([.term("经济"), .term("H经济")])])
        var options = SearchOptions()
        options.limit = 100
        for _ in 0..<200 {
            Self.leaveNegativeGarbage()
            #expect(ids(try reader.search(.andNot(.term("经济"), excluded), options: options)).count == 60)
            Self.leaveNegativeGarbage()
            #expect(ids(try reader.search(.filter(.term("经济"), excluded), options: options)) == ["target"])
        }
    }

    @Test("the matching form drops AND_MAYBE's optional side and scale factors, and keeps phrases whole")
    func matchingForm() {
        let phrase: Query = .phrase([.andMaybe(.term("a"), .term("b")), .term("c")])
        let query: Query = .andNot(.scaleWeight(.andMaybe(.term("x"), .term("y")), 2), .or([.andMaybe(.term("p"), .term("q")), phrase]))
        #expect(query.matchingOnly == .andNot(.term("x"), .or([.term("p"), phrase])))
    }
}
