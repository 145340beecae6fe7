import Foundation
import Testing
import XapianKit
@testable import PlanIndex

@Suite("Analysis on a second thread, writing on the caller's")
struct PreparePipelineTests {
    struct Failure: Error, Equatable { var at: Int }

    @Test("every item is consumed once, in order, whatever the batch size", arguments: [1, 3, 64, 1000])
    func order(batchSize: Int) throws {
        var seen: [Int] = []
        try PreparePipeline.run(Array(0..<200), batchSize: batchSize, prepare: { $0.map { $0 * 2 } }) { seen.append($0) }
        #expect(seen == (0..<200).map { $0 * 2 })
        try PreparePipeline.run([Int](), prepare: { $0 }) { _ in Issue.record("nothing to consume") }
    }

    @Test("an error while preparing stops the run before that batch is consumed")
    func prepareFails() {
        let consumed = Counter()
        #expect(throws: Failure(at: 20)) {
            try PreparePipeline.run(Array(0..<50), batchSize: 10, prepare: { batch in
                if batch.contains(20) { throw Failure(at: 20) }
                return batch
            }) { _ in consumed.add() }
        }
        #expect(consumed.value == 20)
    }

    @Test("an error while consuming is rethrown once the preparing side is idle")
    func consumeFails() {
        var consumed = 0
        #expect(throws: Failure(at: 15)) {
            try PreparePipeline.run(Array(0..<50), batchSize: 10, prepare: { $0 }) { item in
                if item == 15 { throw Failure(at: 15) }
                consumed += 1
            }
        }
        #expect(consumed == 15)
    }

    @Test("prepared documents written by the pipeline hold what the documents say")
    func preparedDocuments() throws {
        let scratch = try Scratch()
        let schema = try loadSchema("un-plan")
        let text = (1...100).map { " \($0). 第\($0)段：国际贸易中心协助妇女进入市场。\n" }.joined()
        let document = Sectioner(schema: schema).split(text: text, documentID: "p.txt", file: scratch.path + "/p.txt")
        let builder = SectionDocumentBuilder(layout: IndexLayout(schema: schema), analyzer: try AnalyzerChoice.plansearch.make(for: schema))
        let sections = document.sections.filter(\.isIndexed)
        #expect(sections.count == 100)

        let piped = scratch.path + "/piped", plain = scratch.path + "/plain"
        let a = try WritableDatabase(path: piped, mode: .createOrOverwrite, durable: false)
        try PreparePipeline.run(sections.map { (document, $0) }, batchSize: 7, prepare: builder.preparer()) { try a.add($0) }
        try a.commit()
        let b = try WritableDatabase(path: plain, mode: .createOrOverwrite, durable: false)
        for section in sections { try b.add(try builder.document(for: section, of: document)) }
        try b.commit()
        #expect(try a.documentCount() == 100)
        for term in ["妇", "妇女", "Q" + sections[42].id, "XDp.txt"] {
            #expect(try a.termFrequency(term) == (try b.termFrequency(term)), "\(term)")
        }
        #expect(try a.document(UInt32(sections.count)).data == (try b.document(UInt32(sections.count)).data))
        try a.close()
        try b.close()
    }
}

/// Counts from the preparing side's thread.
final class Counter: @unchecked Sendable {
    // @unchecked: guarded by the lock.
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
