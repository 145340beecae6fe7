import Foundation
import PlanProtocol
import Testing
@testable import PlanIndex
import XapianKit

@Suite("The query language")
struct QueryLanguageTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var input: String
        var clauses: [[String]]
        var excluded: [String] = []
        var docs: [String] = []
        var headings: [String] = []
        var testDescription: String { input }
    }

    static let cases: [Case] = [
        Case(input: "妇女 贸易", clauses: [["妇女"], ["贸易"]]),
        Case(input: "\"可持续 发展\" 目标", clauses: [["\"可持续 发展"], ["目标"]]),
        Case(input: "“国际贸易中心” -预算", clauses: [["\"国际贸易中心"]], excluded: ["预算"]),
        Case(input: "妇女 OR 青年 市场", clauses: [["妇女", "青年"], ["市场"]]),
        Case(input: "COVID-19 A/75/6", clauses: [["COVID-19"], ["A/75/6"]]),
        Case(input: "doc:itc.txt heading:战略 能力", clauses: [["能力"]], docs: ["itc.txt"], headings: ["战略"]),
        Case(input: "heading:\"次级方案 6\" 目标", clauses: [["目标"]], headings: ["次级方案 6"]),
        Case(input: "OR 妇女", clauses: [["OR"], ["妇女"]]),
        Case(input: "\"未闭合的引号", clauses: [["\"未闭合的引号"]]),
        Case(input: "68 680 900 瑞士法郎", clauses: [["68 680 900"], ["瑞士法郎"]]),
        Case(input: "2019 2020 年", clauses: [["2019"], ["2020"], ["年"]]),
    ]

    @Test("parsing", arguments: cases)
    func parse(_ c: Case) {
        let q = UserQuery(parsing: c.input)
        let clauses = q.clauses.map { $0.map { item -> String in
            if case let .phrase(t) = item { return "\"" + t } else { return item.text }
        } }
        #expect(clauses == c.clauses)
        #expect(q.excluded.map(\.text) == c.excluded)
        #expect(q.documents == c.docs)
        #expect(q.headings == c.headings)
    }
}

@Suite("Searching an index (baseline analyzer)")
final class SearcherTests {
    let scratch: Scratch
    let searcher: Searcher

    init() throws {
        scratch = try Scratch()
        try scratch.write("plans/itc.txt", """
          次级方案 6 \n\n贸易促进和出口发展的业务方面 \n\n  战略 \n\n 13.5 国际贸易中心协助妇女进入市场，投资、增值对于可持续发展必不可 \n\n少。 \n\n\
         13.6 电子商务和青年企业家。 \n\n  目标 \n\n 13.7 最不发达国家的出口。 \n
        """)
        try scratch.write("plans/un.txt", " 1.1 大会和会议管理部的任务。妇女参与。 \n")
        let schema = try loadSchema("un-plan")
        let indexer = try Indexer(databasePath: scratch.path + "/db", schema: schema, analyzer: XapianNgramAnalyzer(), durable: false)
        _ = try indexer.index(paths: [scratch.path + "/plans"])
        try indexer.close()
        searcher = try Searcher(databasePath: scratch.path + "/db", schema: schema, analyzer: XapianNgramQueryAnalyzer())
    }

    func search(_ q: String, _ configure: (inout SearchParams) -> Void = { _ in }) throws -> SearchResult {
        var params = SearchParams(query: q)
        configure(&params)
        return try searcher.search(params)
    }

    @Test("a phrase broken across PDF lines is found, with its line")
    func brokenPhrase() throws {
        let r = try search("\"必不可少\"")
        #expect(r.hits.map(\.para) == ["13.5"])
        let hit = try #require(r.hits.first)
        #expect(hit.snippet.contains("必不可少"))
        let h = try #require(hit.highlights.first)
        let scalars = Array(hit.snippet.unicodeScalars)
        #expect(String(String.UnicodeScalarView(scalars[h[0]..<h[1]])) == "必不可少")
        #expect(hit.file.hasSuffix("plans/itc.txt"))
        #expect(hit.line == 7)
    }

    @Test("filters, exclusion, OR")
    func operators() throws {
        #expect(Set(try search("妇女").hits.map(\.doc)) == ["itc.txt", "un.txt"])
        #expect(try search("妇女 doc:un.txt").hits.map(\.doc) == ["un.txt"])
        #expect(try search("妇女 -大会").hits.map(\.doc) == ["itc.txt"])
        // 出口 is also in 13.5, whose section starts with the subprogramme's title line.
        #expect(Set(try search("青年 OR 出口").hits.compactMap(\.para)) == ["13.5", "13.6", "13.7"])
        #expect(try search("出口 heading:目标").hits.map(\.para) == ["13.7"])
        let strategy = try search("出口 heading:战略")
        // 13.6 matches through its heading path: the subprogramme's title holds 出口.
        #expect(Set(strategy.hits.compactMap(\.para)) == ["13.5", "13.6"])
        #expect(try search("最不发达 heading:战略").hits.isEmpty)
        #expect(try search("妇女", { $0.filters = .init(doc: ["itc.txt"]) }).hits.map(\.doc) == ["itc.txt"])
        // A heading filter with no text would stand for arbitrary headings: refused.
        for blank in ["", "  ", "\u{3000}"] {
            #expect(throws: ProtocolError.self) { try search("妇女", { $0.filters = .init(heading: blank) }) }
        }
        #expect(throws: ProtocolError.self) { try search("妇女 heading:\"  \"") }
    }

    @Test("the client's filters narrow what the query's own doc: and heading: ask; doc: items are alternatives")
    func filtersNarrowTheQuery() throws {
        func docs(_ q: String, doc: [String]? = nil, heading: String? = nil) throws -> Set<String> {
            Set(try search(q, { $0.filters = .init(doc: doc, heading: heading); $0.limit = 100 }).hits.map(\.doc))
        }
        #expect(try docs("妇女 doc:un.txt doc:itc.txt") == ["itc.txt", "un.txt"])
        #expect(try docs("妇女 doc:un.txt", doc: ["un.txt", "itc.txt"]) == ["un.txt"])
        // A scope the query's doc: lies outside of leaves nothing, not both documents.
        #expect(try docs("妇女 doc:un.txt", doc: ["itc.txt"]).isEmpty)
        #expect(try docs("出口 heading:战略", heading: "目标").isEmpty)
        #expect(try search("出口 heading:战略", { $0.filters = .init(doc: ["itc.txt"]) }).hits.count == 2)
    }

    @Test("a query of more words than a search may hold, or a document filter of more ids, is refused, not run")
    func tooLong() throws {
        let most: [String] = Array(repeating: "妇女", count: Searcher.maxWords)
        let allButOne: [String] = Array(most.dropLast())
        #expect(try search(most.joined(separator: " ")).hits.map(\.doc).count == 2)
        for over: [String] in [most + ["大会"], allButOne + ["-大会", "-出口"], allButOne + ["\"大会\"", "出口"]] {
            #expect(throws: ProtocolError.self) { try self.search(over.joined(separator: " ")) }
        }
        let ids = (1..<Searcher.maxDocumentFilter).map { "d\($0).txt" }
        #expect(try search("妇女", { $0.filters = .init(doc: ids + ["un.txt"]) }).hits.isEmpty == false)
        #expect(throws: ProtocolError.self) { try self.search("妇女", { $0.filters = .init(doc: ids + ["un.txt", "itc.txt"]) }) }
    }

    @Test("a heading filter that starts more headings than it may stand for is refused, not cut")
    func tooManyHeadings() throws {
        let scratch = try Scratch()
        let count = Searcher.maxHeadingMatches + 1
        try scratch.write("plans/many.txt", (1...count).map { " 次级方案 \($0)\n\n 1.\($0) 第\($0)段。\n" }.joined(separator: "\n"))
        let schema = try loadSchema("un-plan")
        let indexer = try Indexer(databasePath: scratch.path + "/db", schema: schema, analyzer: XapianNgramAnalyzer(), durable: false)
        _ = try indexer.index(paths: [scratch.path + "/plans"])
        try indexer.close()
        let searcher = try Searcher(databasePath: scratch.path + "/db", schema: schema, analyzer: XapianNgramQueryAnalyzer())
        #expect(throws: ProtocolError.self) { try searcher.search(SearchParams(query: "段 heading:次级方案")) }
        // Narrowed down, it works: 次级方案 1, 10-19, 100-199 and 1000-1001.
        let narrowed = try searcher.search(SearchParams(query: "段 heading:次级方案1", limit: 1000))
        #expect(narrowed.total == 1 + 10 + 100 + 2)
    }

    @Test("a word that matches nothing relaxes the query and is reported missing")
    func relaxed() throws {
        let r = try search("妇女 火星")
        #expect(!r.exact)
        #expect(r.missing == ["火星"])
        #expect(!r.hits.isEmpty)
        let strict = try search("妇女 市场")
        #expect(strict.exact && strict.missing.isEmpty)
        let none = try search("火星")
        #expect(none.hits.isEmpty && none.missing == ["火星"])
    }

    @Test("a query with nothing to search for matches nothing; filters or an exclusion alone list their sections")
    func nothingSearchable() throws {
        // (What is searchable depends on the analyzer: Xapian's may make a term of ？？？, which
        // then matches nothing. Either way nothing is answered.)
        for query in ["？？？", "《》 ...", "\"\"", "!! OR ?", "\" \""] {
            let r = try search(query)
            #expect(r.hits.isEmpty && r.total == 0 && !r.missing.isEmpty, "\(query)")
        }
        let all = try search("doc:itc.txt", { $0.limit = 100 })
        #expect(!all.hits.isEmpty && all.hits.allSatisfy { $0.doc == "itc.txt" })
        let without = try search("-大会", { $0.limit = 100 })
        #expect(!without.hits.isEmpty && without.exact)
    }

    @Test("names find each other through the synonym list")
    func synonyms() throws {
        let byAcronym = try search("ITC 妇女")
        // 13.5 holds both (国际贸易中心 for ITC); 1.1, with 妇女 alone, only fills the page after it.
        #expect(byAcronym.hits.filter { $0.missing == nil }.map(\.para) == ["13.5"])
        #expect(byAcronym.hits.map(\.para) == ["13.5", "1.1"])
        #expect(byAcronym.hits.last?.missing == ["ITC"])
        #expect(byAcronym.exact && byAcronym.total == 1)
        #expect(try search("\"国贸中心\"").hits.map(\.para) == ["13.5"])
        let hit = try #require(try search("国际贸易中心").hits.first)
        #expect(!hit.highlights.isEmpty)
        // Excluding a name excludes its group: 13.5 says 国际贸易中心, not ITC.
        #expect(try search("妇女").hits.compactMap(\.para).sorted() == ["1.1", "13.5"])
        #expect(try search("妇女 -ITC").hits.map(\.para) == ["1.1"])
        #expect(try search("妇女 -\"国贸中心\"").hits.map(\.para) == ["1.1"])
    }

    @Test("get returns the whole section; documents lists the indexed files")
    func getAndDocuments() throws {
        let hit = try #require(try search("\"电子商务\"").hits.first)
        let section = try #require(try searcher.section(id: hit.id))
        #expect(section.text.contains("青年企业家"))
        #expect(section.para == "13.6")
        #expect(try searcher.section(id: "nope") == nil)
        #expect(Set(try searcher.documents().map(\.id)) == ["itc.txt", "un.txt"])
    }

    @Test("collapse per document and paging")
    func perDoc() throws {
        let all = try search("的 OR 妇女 OR 出口", { $0.limit = 100 })
        let collapsed = try search("的 OR 妇女 OR 出口", { $0.perDoc = 1; $0.limit = 100 })
        #expect(Set(collapsed.hits.map(\.doc)).count == collapsed.hits.count)
        #expect(all.hits.count > collapsed.hits.count)
        let page = try search("的 OR 妇女 OR 出口", { $0.offset = 1; $0.limit = 1 })
        #expect(page.hits.first?.id == all.hits[1].id)
        #expect(page.hits.first?.rank == 2)
    }
}

@Suite("Searching with PlanSearch's analyzer")
final class PlanAnalyzerSearchTests {
    let scratch: Scratch
    let searcher: Searcher

    init() throws {
        scratch = try Scratch()
        try scratch.write("plans/a.txt", " 1.1 保护泥炭地和湿地，减少温室气体排放。 \n\n 1.2 國際貿易中心协助妇女进入市场。 \n\n 1.3 妇女和青年的市场准入。 \n")
        try scratch.write("plans/b.txt", """
         2.1 关于海洋垃圾和微型塑料的专家会议。 \n\n 2.2 技术合作执行额达到1.777亿美元。 \n\n\
         2.3 工发组织加强技术合作。 \n\n 2.4 工发组织的技术合作执行情况和全额预算。 \n
        """)
        let schema = try loadSchema("un-plan")
        let indexer = try Indexer(databasePath: scratch.path + "/db", schema: schema,
                                  analyzer: try AnalyzerChoice.plansearch.make(for: schema), durable: false)
        _ = try indexer.index(paths: [scratch.path + "/plans"])
        try indexer.close()
        searcher = try Searcher(databasePath: scratch.path + "/db", schema: schema,
                                analyzer: try AnalyzerChoice.plansearch.makeQueryAnalyzer(for: schema))
    }

    @Test("a word one edit away from an indexed word gets a suggestion")
    func suggestion() throws {
        let r = try searcher.search(SearchParams(query: "泥碳地"))
        #expect(r.suggestions["泥碳地"] == ["泥炭地"])
        #expect(try searcher.search(SearchParams(query: "泥炭地")).hits.map(\.para) == ["1.1"])
    }

    @Test("words are counted as segmented, so a long unspaced item can hold too many", arguments: [
        (String(repeating: "的", count: Searcher.maxWords + 1), false),
        (String(repeating: "的", count: Searcher.maxWords), true),
        ("\"" + String(repeating: "妇女", count: Searcher.maxWords + 1) + "\"", false),
        (String(repeating: "妇女和青年", count: Searcher.maxWords / 3), true),
    ])
    func wordLimit(query: String, answered: Bool) throws {
        if answered {
            _ = try searcher.search(SearchParams(query: query))
        } else {
            #expect(throws: ProtocolError.self) { try self.searcher.search(SearchParams(query: query)) }
        }
    }

    @Test("traditional and simplified queries give the same results, both ways")
    func folding() throws {
        let simplified = try searcher.search(SearchParams(query: "国际贸易中心 妇女")).hits.map(\.id)
        let traditional = try searcher.search(SearchParams(query: "國際貿易中心 婦女")).hits.map(\.id)
        #expect(!simplified.isEmpty)
        #expect(simplified == traditional)
    }

    @Test("a query word in Taiwan usage finds the mainland word (塑膠 is 塑料, not only 塑胶)")
    func regionalVocabulary() throws {
        let r = try searcher.search(SearchParams(query: "微型塑膠"))
        #expect(r.exact)
        #expect(r.hits.map(\.para) == ["2.1"])
        let hit = try #require(r.hits.first)
        let snippet = Array(hit.snippet.unicodeScalars)
        let highlighted = hit.highlights.map { String(String.UnicodeScalarView(snippet[$0[0]..<$0[1]])) }.joined()
        #expect(highlighted.contains("塑料"))
    }

    @Test("a short page goes on with sections lacking one word, each saying which")
    func partialFill() throws {
        let r = try searcher.search(SearchParams(query: "工发组织 技术合作执行额"))
        #expect(r.exact)
        #expect(r.total == 1)
        // 2.4 has every word; 2.2 has the second item word for word but not 工发组织; 2.3 has
        // 工发组织 and only part of the second item (the words it lacks are named).
        #expect(r.hits.map(\.para) == ["2.4", "2.2", "2.3"])
        #expect(r.hits.map(\.missing) == [nil, ["工发组织"], ["执行", "额"]])
        #expect(r.hits.map(\.rank) == [1, 2, 3])
        // One typed item is never split to fill a page: 2.3 (技术合作 alone) stays out.
        let oneItem = try searcher.search(SearchParams(query: "技术合作执行额"))
        #expect(Set(oneItem.hits.compactMap(\.para)) == ["2.2", "2.4"])
        #expect(oneItem.hits.allSatisfy { $0.missing == nil })
        // The second page starts inside the partial hits.
        var second = SearchParams(query: "工发组织 技术合作执行额")
        second.offset = 1
        #expect(try searcher.search(second).hits.map(\.para) == ["2.2", "2.3"])
        // With per_doc the page holds complete matches only: the fill's sections, capped per
        // document apart from them, would break the cap (2.2 and 2.3 are in 2.4's file).
        var perDoc = SearchParams(query: "工发组织 技术合作执行额")
        perDoc.perDoc = 1
        #expect(try searcher.search(perDoc).hits.map(\.para) == ["2.4"])
    }

    struct QuestionCase: Sendable, CustomTestStringConvertible {
        var query: String
        var isQuestion: Bool
        var testDescription: String { query }
    }

    @Test("an unspaced item is a question when it asks, not because it is long", arguments: [
        QuestionCase(query: "国贸中心计划到2021年底协助多少名妇女进入市场", isQuestion: true),
        QuestionCase(query: "道德时尚倡议帮助哪些群体", isQuestion: true),
        QuestionCase(query: "2013年哪个宣言定义了包容及可持续工业发展", isQuestion: true),
        QuestionCase(query: "什么是快时尚", isQuestion: false),          // one content word: just require it
        QuestionCase(query: "会议时地分配办法", isQuestion: false),        // a name of four words asks nothing
        QuestionCase(query: "技术合作执行额", isQuestion: false),
        QuestionCase(query: "国贸中心协助妇女进入市场增强青年贸易意识", isQuestion: true),  // long: any word may match
    ])
    func questions(_ c: QuestionCase) throws {
        let words = searcher.analyzer.words(of: c.query, prefix: "")
        #expect(Searcher.isQuestion(words) == c.isQuestion)
    }

    @Test("a question ranked from its seeds gets the single pass's hits and weights when the candidates cover its matches",
          arguments: [(0, 10), (0, 2), (1, 2), (2, 10)])
    func seededQuestion(_ page: (offset: Int, limit: Int)) throws {
        // A question's shape: any word (each also a phrase of its characters), a NEAR bonus;
        // its seeds are its words' terms alone.
        let words = searcher.analyzer.words(of: "工发组织技术合作执行额是多少", prefix: "")
        let content = words.filter(\.required)
        let query = Query.andMaybe(.or(content.map(\.query)),
                                   .near(words.compactMap(\.proximityTerm).map { .term($0) }, window: 36))
        var options = SearchOptions()
        options.offset = page.offset
        options.limit = page.limit
        let single = try searcher.ranked(query, options: options)
        let seeded = try searcher.rankedFromSeeds(query, seeds: [.or(content.map { Searcher.seedForm($0.query) })], options: options)
        #expect(!single.hits.isEmpty)
        #expect(seeded.hits.map(\.documentID) == single.hits.map(\.documentID))
        #expect(zip(seeded.hits, single.hits).allSatisfy { abs($0.weight - $1.weight) < 1e-9 })
        #expect(seeded.hits.map(\.rank) == single.hits.map(\.rank))
    }

    @Test("a question's seed reads no positions: a word stands for its characters, a phrase for its words", arguments: [
        (Query.or([.term("妇女"), .phrase([.term("妇"), .term("女")])]), Query.or([.term("妇女")])),
        (Query.phrase([.term("犸"), .term("犴")]), Query.and([.term("犸"), .term("犴")])),
        (Query.andMaybe(.scaleWeight(.phrase([.term("国"), .term("贸"), .term("中"), .term("心")]), 0.5), .or([.term("国贸"), .term("中心")])),
         Query.and([.term("国贸"), .term("中心")])),
        (Query.andMaybe(.scaleWeight(.phrase([.term("工"), .term("发")]), 0.5), .term("工发")), Query.term("工发")),
        (Query.scaleWeight(.or([.term("H妇女"), .phrase([.term("H妇"), .term("H女")])]), 2), Query.scaleWeight(.or([.term("H妇女")]), 2)),
        (Query.near([.term("a"), .term("b")], window: 8), Query.and([.term("a"), .term("b")])),
        // WordMatching.term: a word and its characters' weight, a one-word phrase reversed.
        (Query.andMaybe(.term("妇女"), .and([.term("妇"), .term("女")])), Query.term("妇女")),
        (Query.andMaybe(.term("工发"), .scaleWeight(.and([.term("工"), .term("发")]), 0.5)), Query.term("工发")),
    ])
    func seedForm(_ query: Query, _ expected: Query) {
        #expect(Searcher.seedForm(query) == expected)
    }

    @Test("words near each other rank first")
    func proximity() throws {
        let r = try searcher.search(SearchParams(query: "妇女 市场"))
        #expect(r.hits.count == 2)
        #expect(r.hits.first?.para == "1.3")
    }
}

@Suite("Table rows and lists rank below the paragraphs about the same words")
final class ListPenaltyTests {
    let scratch: Scratch
    let schema: Schema

    init() throws {
        scratch = try Scratch()
        // 45 deliverables rows (the short ones BM25 alone ranks first) and two paragraphs.
        var rows = ""
        for n in 1...20 { rows += " \(n). 秘书长关于会议时地分配办法的报告 \(n % 3) 1 1 1 \n\n" }
        // Longer rows, which BM25 ranks below the paragraphs: the hits go past `rerankDepth`.
        for n in 21...45 {
            rows += " \(n). 会议委员会、行政和预算问题咨询委员会和第五委员会关于会议时地分配办法项目的会议文件的编辑、翻译和桌面出版 \(n % 3) 1 1 1 \n\n"
        }
        try scratch.write("plans/rows.txt", rows)
        // Other sections, so that the query's words are rare enough to weigh something.
        var other = ""
        for n in 1...200 { other += " \(n). 贸易促进和出口发展的业务方面，第\(n)次报告。 \n\n" }
        try scratch.write("plans/other.txt", other)
        try scratch.write("plans/prose.txt", """
         1.3 总部的大会和会议管理部负责执行方案，并遵循大会关于会议时地分配办法的决议，为会员国提供会议服务。 \n\n\
         1.4 大会部将继续通过语文安排、文件和出版物问题国际年度会议与其他机构合作，落实会议时地分配办法。 \n
        """)
        schema = try indexPlans(of: scratch)
    }

    func searcher(penalty: Double) throws -> Searcher {
        var schema = schema
        schema.ranking.listPenalty = penalty
        return try plansearchSearcher(of: scratch, schema: schema)
    }

    @Test("the paragraphs rise with the penalty; without it a row comes first")
    func order() throws {
        let query = SearchParams(query: "会议时地分配办法", limit: 100, foldCopies: false)
        let plain = try searcher(penalty: 0).search(query)
        let penalised = try searcher(penalty: 0.4).search(query)
        #expect(plain.hits.first.map { ["1.3", "1.4"].contains($0.para) } == false)
        #expect(penalised.hits.first?.para == "1.3")
        #expect(Set(penalised.hits.map(\.id)) == Set(plain.hits.map(\.id)))
        // Scores are the weights the hits were ordered by.
        let scores = penalised.hits.prefix(Searcher.rerankDepth).map(\.score)
        #expect(scores == scores.sorted(by: >))
    }

    @Test("paging through and past the reordered hits shows every hit once, ranks in order",
          arguments: [1, 7, 10, 39, 40])
    func paging(_ pageSize: Int) throws {
        let searcher = try searcher(penalty: 0.4)
        let all = try searcher.search(SearchParams(query: "会议时地分配办法", limit: 100, foldCopies: false))
        #expect(all.hits.count == 47)
        #expect(all.hits.map(\.rank) == Array(1...47))
        var paged: [SearchHit] = []
        var offset = 0
        while offset < all.hits.count {
            let page = try searcher.search(SearchParams(query: "会议时地分配办法", limit: pageSize, offset: offset, foldCopies: false))
            paged += page.hits
            offset += pageSize
        }
        #expect(paged.map(\.id) == all.hits.map(\.id))
        #expect(paged.map(\.rank) == Array(1...47))
    }
}

@Suite("Sections under catalogue headings rank below the narrative (ranking.heading_factors)")
final class HeadingFactorTests {
    let scratch: Scratch
    let schema: Schema

    init() throws {
        scratch = try Scratch()
        // The deliverables entry is short, so BM25 alone ranks it above the paragraph that
        // says what the service is.
        try scratch.write("plans/a.txt", """
        战略
         1.1 国贸中心将通过全球贸易服务台这一多机构倡议，帮助中小微企业获取贸易信息，并与贸发会议和世贸组织开展协作。 \n
        应交付产出
         1.2 数据库：全球贸易服务台、贸易地图。 \n
        """)
        var other = ""
        for n in 1...200 { other += " \(n). 电子平台第\(n)次报告，介绍平台和服务。 \n\n" }
        try scratch.write("plans/other.txt", other)
        schema = try indexPlans(of: scratch)
    }

    /// A searcher over the same index with other factors: they are read at search time only.
    func searcher(factors: [String: Double]) throws -> Searcher {
        var schema = schema
        schema.ranking.headingFactors = factors
        schema.ranking.listPenalty = 0  // the factor alone decides here
        return try plansearchSearcher(of: scratch, schema: schema)
    }

    @Test("the deliverables entry comes first by BM25 alone and second with its heading's factor",
          arguments: ["\"全球贸易服务台\"", "全球贸易服务台", "全球 贸易 服务台"])
    func order(_ query: String) throws {
        let plain = try searcher(factors: [:]).search(SearchParams(query: query))
        let factored = try searcher(factors: ["应交付产出": 0.8]).search(SearchParams(query: query))
        #expect(plain.hits.map(\.para) == ["1.2", "1.1"])
        #expect(factored.hits.map(\.para) == ["1.1", "1.2"])
        #expect(factored.hits.last?.heading == ["应交付产出"])
        // The factor moves the hit; it does not drop it, and scores stay in order.
        #expect(factored.total == plain.total)
        #expect(factored.hits.map(\.score) == factored.hits.map(\.score).sorted(by: >))
    }

    @Test("a factor above 1 raises a heading's sections")
    func boost() throws {
        let raised = try searcher(factors: ["战略": 2]).search(SearchParams(query: "全球贸易服务台"))
        #expect(raised.hits.map(\.para) == ["1.1", "1.2"])
    }

    @Test("a question's hits are reordered too")
    func question() throws {
        let query = SearchParams(query: "全球贸易服务台是什么")
        let plain = try searcher(factors: [:]).search(query)
        let factored = try searcher(factors: ["应交付产出": 0.8]).search(query)
        #expect(plain.hits.map(\.para) == ["1.2", "1.1"])
        #expect(factored.hits.map(\.para) == ["1.1", "1.2"])
    }
}

@Suite("A quoted phrase is weighed by its words, not only by its characters")
struct PhraseWeightTests {
    @Test("the section that repeats the phrase's rare word outranks one that repeats a common word sharing its characters")
    func rareWordCounts() throws {
        let scratch = try Scratch()
        // Both sections hold the phrase once. The first repeats 服务 (whose characters 服 and 务 are
        // rare here), the second 服务台 itself; 台 is common (every 平台 below). Counting characters
        // alone, the first wins on 服 and 务; counting the phrase's words, the second does.
        try scratch.write("plans/a.txt", """
         1.1 全球贸易服务台提供服务，服务对象是企业，服务内容是咨询，服务费用很低。 \n\n\
         1.2 全球贸易服务台是一个服务台网络，各服务台分工协作，覆盖各个区域。 \n
        """)
        var other = ""
        for n in 1...200 { other += " \(n). 电子平台第\(n)次报告，介绍平台和贸易。 \n\n" }
        try scratch.write("plans/other.txt", other)
        let searcher = try plansearchIndex(of: scratch)
        let result = try searcher.search(SearchParams(query: "\"全球贸易服务台\""))
        // The words add weight but never match alone: exactly the two sections holding the phrase.
        #expect(result.total == 2)
        #expect(result.hits.map(\.para) == ["1.2", "1.1"])
    }

    // Headings and titles have no positions: their copy of a phrase must go whole, never leave
    // its words behind to match alone (a quoted phrase would then match any heading naming them).
    @Test("without positions, a phrase weighed by its words goes whole", arguments: [
        (Query.andMaybe(.scaleWeight(.phrase([.term("H全"), .term("H球")]), 0.5), .or([.term("H全球")])), nil as Query?),
        (Query.andMaybe(.term("H妇"), .phrase([.term("H妇"), .term("H女")])), Query.term("H妇")),
        (Query.or([.phrase([.term("H妇"), .term("H女")]), .term("H妇女")]), Query.term("H妇女")),
        (Query.scaleWeight(.near([.term("H妇"), .term("H女")]), 2), nil as Query?),
    ])
    func headingCopies(_ query: Query, _ expected: Query?) {
        #expect(Searcher.withoutPositions(query) == expected)
    }
}

@Suite("A question's candidates obey its exclusions")
struct QuestionExclusionTests {
    @Test("sections with an excluded word never fill the candidates: the rest are found")
    func exclusions() throws {
        let scratch = try Scratch()
        // Eighty sections answer the question better but hold the excluded word; five do not.
        var strong = "", weak = ""
        for n in 1...80 { strong += " \(n). 国贸中心协助妇女进入市场，青年企业家参加培训，第\(n)次。 \n\n" }
        for n in 1...5 { weak += " \(n). 国贸中心的报告提到妇女，第\(n)份。 \n\n" }
        try scratch.write("plans/strong.txt", strong)
        try scratch.write("plans/weak.txt", weak)
        let searcher = try plansearchIndex(of: scratch)
        let words = searcher.analyzer.words(of: "国贸中心计划协助多少名妇女进入市场", prefix: "")
        #expect(Searcher.isQuestion(words))
        let result = try searcher.search(SearchParams(query: "国贸中心计划协助多少名妇女进入市场 -青年"))
        #expect(result.hits.count == 5)
        #expect(result.hits.allSatisfy { $0.doc == "weak.txt" })
    }
}

@Suite("A hit's line is where its snippet's match is")
struct HitLineTests {
    @Test("a stray character of the query early in a section does not pull the line away from the passage shown")
    func lineOfShownMatch() throws {
        let scratch = try Scratch()
        // One paragraph over many PDF lines: 额 (in 份额) on its first line, the whole query
        // twelve lines later, further than a snippet reaches.
        let filler = (1...12).map { "第\($0)行讲述贸易促进和出口发展的业务方面的其他内容，" }.joined(separator: " \n")
        try scratch.write("plans/p.txt", " 3.1 市场份额有所扩大， \n\(filler) \n今年技术合作执行额达到新高。 \n")
        let searcher = try plansearchIndex(of: scratch)
        let hit = try #require(try searcher.search(SearchParams(query: "技术合作执行额")).hits.first)
        let snippet = Array(hit.snippet.unicodeScalars)
        let shown = hit.highlights.map { String(String.UnicodeScalarView(snippet[$0[0]..<$0[1]])) }
        #expect(shown.contains("技术合作执行额"))
        #expect(hit.line == 14, "line \(hit.line): the snippet shows line 14's passage")
    }
}

@Suite("Highlights")
struct HighlightTests {
    @Test("a number in digit groups is highlighted whole, as it was found", arguments: [
        ("68 680 900", "68 680 900"), ("1 000 名", "1 000"), ("可持续发展", "可持续发展"),
    ])
    func acrossWhitespace(_ query: String, _ expected: String) throws {
        let scratch = try Scratch()
        try scratch.write("plans/p.txt", """
         1.1 投资、增值对于可持续发 \n展必不可少。全额预算：68 680 900 瑞士法郎，培训 1 000 名妇女。 \n
        """)
        let searcher = try plansearchIndex(of: scratch)
        let hit = try #require(try searcher.search(SearchParams(query: query)).hits.first)
        let snippet = Array(hit.snippet.unicodeScalars)
        let shown = hit.highlights.map { String(String.UnicodeScalarView(snippet[$0[0]..<$0[1]])) }
        #expect(shown.contains(expected), "\(shown)")
    }

    @Test("a Latin or digit word is highlighted only as a whole token, not inside a longer one")
    func tokenEdges() throws {
        let scratch = try Scratch()
        try scratch.write("plans/p.txt", " 1.1 共50名学员，预算845 000瑞士法郎，ITCs 与 ITC 合作，CAF 与 café 合作。 \n")
        let searcher = try plansearchIndex(of: scratch)
        // 845 000 is one number (845000) to the analyzer: 845 and 000 are not its tokens either.
        // café is one token: caf is not in it (a letter past ASCII continues a Latin word).
        for (query, expected) in [("50", ["50"]), ("ITC", ["ITC"]), ("845 OR 50", ["50"]), ("CAF", ["CAF"])] {
            let hit = try #require(try searcher.search(SearchParams(query: query)).hits.first)
            let snippet = Array(hit.snippet.unicodeScalars)
            let shown = hit.highlights.map { String(String.UnicodeScalarView(snippet[$0[0]..<$0[1]])) }
            #expect(shown == expected, "\(query): \(shown)")
        }
    }
}

@Suite("Highlight edges follow each analyzer's tokens")
struct HighlightEdgeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var word: String
        var text: String
        var plansearch: Bool  // PlanSearch's analyzer finds the word here
        var baseline: Bool  // Xapian's n-gram tokenizer does
        var testDescription: String { "\(word) in \(text)" }
    }

    static let cases: [Case] = [
        Case(word: "caf", text: "CAF 与 café", plansearch: true, baseline: true),
        Case(word: "caf", text: "café", plansearch: false, baseline: true),
        // Kana ends a Latin word for Xapian's tokenizer; PlanSearch's reads ITCの as one token.
        Case(word: "itc", text: "ITCの計画", plansearch: false, baseline: true),
        Case(word: "itc", text: "ITC的计划", plansearch: true, baseline: true),
    ]

    @Test("a Latin word is found where the analyzer's tokens end", arguments: cases)
    func edges(_ c: Case) throws {
        let schema = try loadSchema("un-plan")
        for (analyzer, expected) in [(try AnalyzerChoice.plansearch.makeQueryAnalyzer(for: schema), c.plansearch),
                                     (XapianNgramQueryAnalyzer() as any QueryAnalyzer, c.baseline)] {
            let highlighter = Highlighter(analyzer: analyzer)
            let found = highlighter.matches(of: highlighter.needles(for: [c.word]), in: highlighter.normalized(c.text))
            #expect(!found.isEmpty == expected, "\(type(of: analyzer))")
        }
    }
}

@Suite("A question's total counts at least its hits")
struct QuestionTotalTests {
    @Test("sections found only through their heading are counted in total")
    func headingOnly() throws {
        let scratch = try Scratch()
        // The question's words stand in the heading path only, not in the paragraphs' text.
        try scratch.write("plans/itc.txt", """
          次级方案 6 \n\n贸易促进和出口发展 \n\n 13.5 协助妇女进入市场。 \n\n 13.6 青年企业家。 \n
        """)
        let searcher = try plansearchIndex(of: scratch)
        let result = try searcher.search(SearchParams(query: "贸易促进和出口发展取得了哪些成果"))
        #expect(!result.hits.isEmpty)
        #expect(result.total >= result.hits.count)
    }
}

/// Indexes `scratch`'s plans/ with PlanSearch's analyzer and the un-plan schema; a searcher over them.
func plansearchIndex(of scratch: Scratch) throws -> Searcher {
    try plansearchSearcher(of: scratch, schema: try indexPlans(of: scratch))
}

/// Indexes `scratch`'s plans/ into its db/ with PlanSearch's analyzer and the un-plan schema;
/// the schema, for searchers that vary its ranking.
func indexPlans(of scratch: Scratch) throws -> Schema {
    let schema = try loadSchema("un-plan")
    let indexer = try Indexer(databasePath: scratch.path + "/db", schema: schema,
                              analyzer: try AnalyzerChoice.plansearch.make(for: schema), durable: false)
    _ = try indexer.index(paths: [scratch.path + "/plans"])
    try indexer.close()
    return schema
}

/// A searcher over `scratch`'s db/ under `schema` (ranking is read at search time only).
func plansearchSearcher(of scratch: Scratch, schema: Schema) throws -> Searcher {
    try Searcher(databasePath: scratch.path + "/db", schema: schema,
                 analyzer: try AnalyzerChoice.plansearch.makeQueryAnalyzer(for: schema))
}

@Suite("A page past a search's matches")
final class PagedTotalTests {
    let scratch: Scratch
    let schema: Schema

    init() throws {
        scratch = try Scratch()
        // Many sections holding both words, whose lengths and repeats vary so their weights differ.
        var plans = ""
        for n in 1...1500 {
            let trade = String(repeating: "贸易", count: 1 + n % 4)
            let women = n % 3 == 0 || n % 7 == 0 ? String(repeating: "妇女", count: 1 + n % 5) : "儿童"
            let filler = String(repeating: "发展合作", count: n % 11)
            plans += " \(n). \(trade)\(filler)\(women)第\(n)次报告。 \n\n"
        }
        try scratch.write("plans/many.txt", plans)
        schema = try indexPlans(of: scratch)
    }

    /// (A page's total is never fewer than the hits up to its end; an empty page once read as
    /// holding as many as its offset.)
    @Test("has no hits and the first page's total; so has a page size across the 40th hit")
    func pastTheEnd() throws {
        let searcher = try plansearchSearcher(of: scratch, schema: schema)
        let first = try searcher.search(SearchParams(query: "贸易 妇女", limit: 10))
        for (limit, offset) in [(15, 30), (100, 0), (10, 2_000), (10, 100_000)] {
            let page = try searcher.search(SearchParams(query: "贸易 妇女", limit: limit, offset: offset))
            #expect(page.total == first.total, "limit \(limit) offset \(offset)")
        }
    }
}
