import Foundation
import Testing
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
}
