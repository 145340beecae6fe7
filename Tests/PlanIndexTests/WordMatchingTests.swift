import Foundation
import PlanAnalyzer
import PlanProtocol
import Testing
@testable import PlanIndex
import XapianKit

/// Documents indexed as an older PlanSearch did: characters with positions, and only the words
/// the segmentation chose (version 2 also kept the words inside them, never those across two).
/// Such an index holds no term for 外资 in 预算外|资金.
struct SegmentedWordsOnlyAnalyzer: DocumentAnalyzer {
    let analyzer: Analyzer
    var fingerprint: String { "segmented-words-only" }

    func index(_ text: String, prefix: String, wdf: UInt32, from start: UInt32, positional: Bool,
               into document: inout Document) -> UInt32 {
        analyzer.analyze(text, startPosition: start) { token in
            if positional && token.position > 0 {
                document.addPosting(prefix + token.term, at: token.position, wdfIncrement: wdf)
            } else if token.kind == .word || token.kind == .part || token.kind == .latin {
                document.addTerm(prefix + token.term, wdfIncrement: wdf)
            }
        }
    }
}

@Suite("A body word is found by its term only where the index holds every dictionary word")
final class WordMatchingTests {
    let scratch: Scratch
    let schema: Schema

    init() throws {
        scratch = try Scratch()
        // 外资 stands across two segmented words in 1.1 (预算外|资金), as a word of its own in 1.2,
        // and across punctuation in 1.3.
        try scratch.write("plans/a.txt", """
         1.1 国贸中心预算外资金的一半用于最不发达国家。 \n\n 1.2 外资流入发展中国家。 \n\n\
         1.3 资金来自预算外，资助中心的工作。 \n
        """)
        schema = try loadSchema("un-plan")
    }

    func index(_ analyzer: any DocumentAnalyzer, progress: ((Indexer) -> Void)? = nil) throws {
        let indexer = try Indexer(databasePath: scratch.path + "/db", schema: schema, analyzer: analyzer, durable: false)
        if let progress { indexer.progress = { [unowned indexer] _, _, _ in progress(indexer) } }
        _ = try indexer.index(paths: [scratch.path + "/plans"])
        try indexer.close()
    }

    func paragraphs(_ searcher: Searcher, _ query: String) throws -> Set<String> {
        Set(try searcher.search(SearchParams(query: query)).hits.compactMap(\.para))
    }

    @Test("an index of this analyzer: the term alone, which finds the word across two segmented ones")
    func everyWordIndex() throws {
        try index(try AnalyzerChoice.plansearch.make(for: schema))
        let searcher = try plansearchSearcher(of: scratch, schema: schema)
        #expect(try searcher.bodyMatching() == .term)
        #expect(try paragraphs(searcher, "外资") == ["1.1", "1.2"])
        #expect(try paragraphs(searcher, "\"外资\"") == ["1.1", "1.2"])
    }

    @Test("an index of another analyzer: the term or the characters, then the term once it is reindexed")
    func olderIndex() throws {
        let planAnalyzer = try AnalyzerChoice.planAnalyzer(for: schema)
        try index(SegmentedWordsOnlyAnalyzer(analyzer: planAnalyzer))
        let searcher = try plansearchSearcher(of: scratch, schema: schema)
        #expect(try searcher.bodyMatching() == .termOrCharacters)
        #expect(try paragraphs(searcher, "外资") == ["1.1", "1.2", "1.3"])
        #expect(try paragraphs(searcher, "\"外资\"") == ["1.1", "1.2", "1.3"])

        // Reindexed by this analyzer: the mark is cleared before the first document changes
        // (a run cut short leaves it so), and set once every document is indexed again.
        var marks: [String] = []
        try index(PlanDocumentAnalyzer(analyzer: planAnalyzer)) { indexer in
            marks.append((try? indexer.writer.metadataString(IndexLayout.analyzerKey)) ?? "?")
        }
        #expect(!marks.isEmpty && marks.allSatisfy(\.isEmpty))
        try searcher.reopen()
        #expect(try searcher.bodyMatching() == .term)
        #expect(try paragraphs(searcher, "外资") == ["1.1", "1.2"])
    }

    /// Sections found by the term alone and by the term or the characters, on one index: the
    /// same, but for the phrase's matches across punctuation (外，资 in 1.3).
    static let bothWays: [(query: String, byTerm: Set<String>, byCharacters: Set<String>)] = [
        ("外资", ["1.1", "1.2"], ["1.1", "1.2", "1.3"]),
        ("\"外资\"", ["1.1", "1.2"], ["1.1", "1.2", "1.3"]),
        ("预算外 -外资", ["1.3"], []),
        ("中心 资金", ["1.1", "1.3"], ["1.1", "1.3"]),
        ("国贸中心的一半", ["1.1"], ["1.1"]),
        ("资助 中心", ["1.1", "1.3"], ["1.1", "1.3"]),  // 1.1 fills the short page (中心 alone)
    ]

    @Test("both ways find the same sections, but for a phrase's matches across punctuation", arguments: bothWays)
    func sameSections(_ c: (query: String, byTerm: Set<String>, byCharacters: Set<String>)) throws {
        try index(try AnalyzerChoice.plansearch.make(for: schema))
        let searcher = try plansearchSearcher(of: scratch, schema: schema)
        #expect(try searcher.bodyMatching() == .term)
        #expect(try paragraphs(searcher, c.query) == c.byTerm)
        searcher.bodyMatchingCache = .termOrCharacters
        #expect(try paragraphs(searcher, c.query) == c.byCharacters)
    }

    @Test("a mark goes stale when something else writes documents (an older PlanSearch does not know it)")
    func staleMark() throws {
        try index(try AnalyzerChoice.plansearch.make(for: schema))
        let searcher = try plansearchSearcher(of: scratch, schema: schema)
        #expect(try searcher.bodyMatching() == .term)
        let writer = try WritableDatabase(path: scratch.path + "/db", mode: .open)
        var document = Document()
        document.addPosting("外", at: 1)
        _ = try writer.add(document)
        try writer.commit()
        try writer.close()
        try searcher.reopen()
        #expect(try searcher.bodyMatching() == .termOrCharacters)
    }

    @Test("one document left from another analyzer keeps the characters")
    func mixedIndex() throws {
        try index(try AnalyzerChoice.plansearch.make(for: schema))
        // A record of a file indexed elsewhere under an older analyzer (its root is not this run's).
        let writer = try WritableDatabase(path: scratch.path + "/db", mode: .open)
        let record = DocumentRecord(id: "old.txt", title: "", file: "/elsewhere/old.txt", root: "/elsewhere", hash: "h", size: 1,
                                    modified: 0, sections: 0, indexedAt: 0, schema: schema.name, year: nil,
                                    transcodedFrom: nil, fingerprint: "5/x/plansearch-2-fold-0")
        try writer.setMetadata(IndexLayout.documentKey("old.txt"), Array(try JSONEncoder().encode(record)))
        try writer.commit()
        try writer.close()
        try index(try AnalyzerChoice.plansearch.make(for: schema))
        let searcher = try plansearchSearcher(of: scratch, schema: schema)
        #expect(try searcher.bodyMatching() == .termOrCharacters)
        #expect(try paragraphs(searcher, "外资") == ["1.1", "1.2", "1.3"])
    }
}

@Suite("An item built for several fields at once is what building it for each alone gives")
struct QueryFieldsTests {
    static let texts = [
        "技术合作", "国贸中心计划到2021年底协助多少名妇女进入市场", "微型塑膠", "軟體 開發", "COVID-19", "A/75/6",
        "845 000美元", "必不可少", "的", "？？？", "",
    ]

    @Test("words and phrases, PlanSearch's analyzer and the baseline's", arguments: texts)
    func sameAsOneByOne(_ text: String) throws {
        let schema = try loadSchema("un-plan")
        let analyzers: [any QueryAnalyzer] = [try AnalyzerChoice.plansearch.makeQueryAnalyzer(for: schema),
                                              XapianNgramQueryAnalyzer()]
        // Each matching in the body; the heading path and title as the search builds them.
        let fields = [WordMatching.term, .termOrCharacters, .termWithoutPositions].map {
            QueryField(schema.fields.body.prefix, $0)
        } + [QueryField(schema.fields.heading.prefix, .termWithoutPositions),
             QueryField(schema.fields.title.prefix, .termWithoutPositions)]
        for analyzer in analyzers {
            let words = analyzer.words(of: text, fields: fields)
            let phrases = analyzer.phrase(text, fields: fields)
            #expect(words.count == fields.count && phrases.count == fields.count)
            for (i, field) in fields.enumerated() {
                #expect(words[i] == analyzer.words(of: text, fields: [field])[0], "\(field)")
                #expect(phrases[i] == analyzer.phrase(text, prefix: field.prefix, matching: field.matching), "\(field)")
            }
            // The prefix is each field's own: no term of one field's query carries another's.
            if let body = words.first?.first {
                #expect(body.proximityTerm.map { $0.hasPrefix(schema.fields.body.prefix) } ?? true)
            }
        }
    }
}
