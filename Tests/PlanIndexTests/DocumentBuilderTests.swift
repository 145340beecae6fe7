import Foundation
import Testing
import PlanAnalyzer
import XapianKit
@testable import PlanIndex

@Suite("Section documents with a reused scratch", .enabled(if: Paths.hasCorpus))
struct DocumentBuilderScratchTests {
    @Test("one scratch across a plan's sections builds the documents a fresh one does")
    func reusedScratch() throws {
        let schema = try loadSchema("un-plan")
        let builder = SectionDocumentBuilder(layout: IndexLayout(schema: schema),
                                             analyzer: try AnalyzerChoice.plansearch.make(for: schema))
        var scratch = AnalysisScratch()
        for name in ["itc-programme-plan-2021.txt", "itc-programme-budget-2008-2009.txt"] {
            let path = Paths.corpus + "/" + name
            let document = Sectioner(schema: schema).split(text: try SourceReader().read(path).text, documentID: name,
                                                           file: path)
            let sections = document.sections.filter(\.isIndexed)
            #expect(sections.count > 50)
            // Consecutive sections differ in length and content, so leftovers would show.
            for section in sections.prefix(300) {
                let fresh = try builder.document(for: section, of: document)
                let reused = try builder.document(for: section, of: document, scratch: &scratch)
                #expect(reused == fresh, "\(name) \(section.id)")
                #expect(reused.postingCount > 0 || section.text.isEmpty)
            }
        }
    }

    @Test("the heading path's filter terms and factor value come out as folding each heading afresh gives")
    func headingPathFromRememberedFolds() throws {
        let schema = try loadSchema("un-plan")
        let layout = IndexLayout(schema: schema)
        let builder = SectionDocumentBuilder(layout: layout, analyzer: try AnalyzerChoice.plansearch.make(for: schema))
        let path = Paths.corpus + "/itc-programme-plan-2021.txt"
        var document = Sectioner(schema: schema).split(text: try SourceReader().read(path).text,
                                                       documentID: "itc", file: path)
        var sections = Array(document.sections.filter(\.isIndexed).prefix(200))
        #expect(sections.contains { !$0.headingTitles.allSatisfy(\.isEmpty) })
        // Width, case and whitespace folded; the separator taken out of a heading; an empty title skipped.
        var odd = sections[0]
        odd.heading = ["Ｐａｒｔ  A", "次级\u{1F}方案 6", "Part A"]
        odd.headingTitles = ["", "大会 决议", ""]
        sections.append(odd)
        document.sections = sections
        var scratch = AnalysisScratch()
        for section in sections {
            let doc = try builder.document(for: section, of: document, scratch: &scratch)
            let expected = HeadingFactors.key(heading: section.heading, titles: section.headingTitles)
            #expect(doc.values[schema.values.heading].map { String(decoding: $0, as: UTF8.self) } == expected, "\(section.id)")
            let headingTerms = doc.booleanTerms.filter { $0.hasPrefix(schema.filters.heading) }
            let wanted = (section.heading + section.headingTitles.filter { !$0.isEmpty }).map(layout.headingTerm)
            #expect(headingTerms == wanted, "\(section.id)")
        }
        #expect(HeadingFactors.key(heading: odd.heading, titles: odd.headingTitles)
            == ["parta", "次级方案6", "parta", "大会决议"].joined(separator: "\u{1F}"))
    }

    @Test("a remembered fold is the fold, whichever schema asked first, and the scratch stays bounded")
    func rememberedFolds() throws {
        var schema = try loadSchema("un-plan")
        let first = IndexLayout(schema: schema), firstPrefix = schema.filters.heading
        schema.filters.heading = "ZH"
        let second = IndexLayout(schema: schema)
        var scratch = AnalysisScratch()
        for heading in ["次级方案 6", "次级方案6", "Ｃ. 实质性应交付产出", "次级方案 6"] {
            #expect(scratch.foldedHeading(heading) == IndexLayout.foldHeading(heading))
            #expect(first.headingTerm(heading) == firstPrefix + scratch.foldedHeading(heading))
            #expect(second.headingTerm(heading) == "ZH" + scratch.foldedHeading(heading))
        }
        #expect(first.headingTerm("次级方案 6") != second.headingTerm("次级方案 6"))
        for i in 0..<(AnalysisScratch.foldedHeadingsLimit + 5) { _ = scratch.foldedHeading("标题 \(i)") }
        #expect(scratch.foldedHeadings.count <= AnalysisScratch.foldedHeadingsLimit)
        #expect(scratch.foldedHeading("标题 7") == "标题7")
    }
}

@Suite("Heading path and title terms", .enabled(if: Paths.hasCorpus))
struct HeadingTermTests {
    @Test("headings and titles keep words, not the characters inside them, and a section's length still counts those")
    func charactersInsideWords() throws {
        let schema = try loadSchema("un-plan")
        let layout = IndexLayout(schema: schema)
        let builder = SectionDocumentBuilder(layout: layout, analyzer: try AnalyzerChoice.plansearch.make(for: schema))
        let analyzer = try AnalyzerChoice.planAnalyzer(for: schema)
        let fields = schema.fields
        let path = Paths.corpus + "/itc-programme-plan-2021.txt"
        let document = Sectioner(schema: schema).split(text: try SourceReader().read(path).text, documentID: "itc",
                                                       file: path)
        let sections = Array(document.sections.filter(\.isIndexed).prefix(150))
        let scratch = try Scratch()
        let writer = try WritableDatabase(path: scratch.path + "/db", mode: .createOrOverwrite)
        let ids = try sections.map { try writer.add(try builder.document(for: $0, of: document)) }
        try writer.commit()
        let database = try Database(path: scratch.path + "/db")
        var leftOut = 0
        for (section, id) in zip(sections, ids) {
            let heading = zip(section.heading, section.headingTitles).map { $1.isEmpty ? $0 : "\($0) \($1)" }
                .joined(separator: "\n")
            // Every occurrence the analyzer makes, indexed or not, weighed by its field.
            var expectedLength = 0
            var alone: Set<String> = [], inside: Set<String> = []
            for (text, weight, prefix) in [(section.text, fields.body.weight, nil), (heading, fields.heading.weight, fields.heading.prefix),
                                           (document.title, fields.title.weight, fields.title.prefix)] where !text.isEmpty {
                if prefix == nil {
                    _ = analyzer.analyzeTerms(text) { _ in expectedLength += weight }
                } else {
                    // A field without positions takes no words across two segmented ones.
                    var batch = TermBatch(positional: false)
                    _ = analyzer.analyzeTerms(text, into: &batch)
                    expectedLength += weight * (batch.termLengths.count + batch.unindexed)
                }
                _ = analyzer.analyzeTerms(text) { view in
                    guard let prefix, view.kind == .han else { return }
                    if view.keptWithoutPositions { alone.insert(prefix + view.string) } else { inside.insert(prefix + view.string) }
                }
            }
            let terms = try database.document(id, includeTerms: true).terms
            #expect(terms.reduce(0) { $0 + $1.frequency } == expectedLength, "\(section.id)")
            let held = Set(terms.map(\.term))
            #expect(held.isSuperset(of: alone), "\(section.id)")
            #expect(held.intersection(inside.subtracting(alone)).isEmpty, "\(section.id)")
            leftOut += inside.count
        }
        #expect(leftOut > 1000)  // the headings have words of several characters to leave out
    }
}
