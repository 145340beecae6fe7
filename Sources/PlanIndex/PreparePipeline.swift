import Dispatch
import XapianKit

/// Analysis on a second thread, writing on the caller's: `prepare` turns batch n+1 into Xapian
/// documents on a serial queue while `consume` (the single writer) takes batch n. The writer's
/// inverted lists are nine tenths of a build, so this takes the rest (analysis, and building
/// Xapian's form of each document) off the writer's thread. Batches of sections, not
/// documents: one document can be most of a corpus.
///
/// Used by `plansearch-bench index` (analysis ∥ writer), where the build itself runs 10-15%
/// faster than with one thread when the second core is free. The Indexer does not use it: there
/// reading and sectioning a file (about a second for the UN plan) stay serial, and on these
/// shared cores five interleaved runs each showed no difference (median 4.48 s against 4.51 s).
public enum PreparePipeline {
    /// Sections per batch: enough that handing a batch over costs nothing, few enough that the
    /// writer waits little for the first.
    public static let batchSize = 64

    /// Runs `consume` over `prepare`'s output for every batch of `items`, in order. `prepare`
    /// runs for one batch at a time (first on the calling thread, then on the queue), so state
    /// it keeps (an analysis scratch) is never used by two threads at once. An error from either
    /// side stops the run once the other side is idle, and is rethrown.
    public static func run<Item: Sendable, Output: Sendable>(
        _ items: [Item], batchSize: Int = batchSize,
        prepare: @escaping @Sendable ([Item]) throws -> [Output],
        consume: (Output) throws -> Void
    ) throws {
        guard !items.isEmpty else { return }
        let size = max(1, batchSize)
        let batches = stride(from: 0, to: items.count, by: size).map { Array(items[$0..<min($0 + size, items.count)]) }
        let queue = DispatchQueue(label: "plansearch.prepare")
        let slot = PipelineSlot<Output>()
        // Nothing to overlap with yet: the first batch is prepared here.
        var current = try prepare(batches[0])
        for i in batches.indices {
            let group = DispatchGroup()
            if i + 1 < batches.count {
                let next = batches[i + 1]
                queue.async(group: group) { slot.put(Result { try prepare(next) }) }
            }
            var failure: Error?
            do {
                for output in current { try consume(output) }
            } catch {
                failure = error
            }
            // Never return while the queue still works on a batch (it may hold the scratch).
            group.wait()
            if let failure { throw failure }
            if i + 1 < batches.count { current = try slot.take().get() }
        }
    }
}

/// One prepared batch on its way from the queue to the writer.
final class PipelineSlot<Output: Sendable>: @unchecked Sendable {
    // @unchecked: put() runs on the queue inside a DispatchGroup task, take() on the writer's
    // thread only after that group's wait() returned, which orders the two.
    private var value: Result<[Output], Error>?
    func put(_ result: Result<[Output], Error>) { value = result }
    func take() -> Result<[Output], Error> {
        defer { value = nil }
        return value ?? .success([])
    }
}

/// The analysing side's scratch, carried from one batch to the next.
final class ScratchCarrier: @unchecked Sendable {
    // @unchecked: PreparePipeline runs `prepare` for one batch at a time, so the scratch is
    // never used by two threads at once.
    var scratch = AnalysisScratch()
}

extension SectionDocumentBuilder {
    /// A `prepare` for ``PreparePipeline``: sections (each with its document) into prepared
    /// documents, with one analysis scratch for the whole run.
    public func preparer() -> @Sendable ([(SectionedDocument, Section)]) throws -> [PreparedDocument] {
        let carrier = ScratchCarrier()
        return { batch in
            try batch.map { document, section in
                try PreparedDocument(self.document(for: section, of: document, scratch: &carrier.scratch))
            }
        }
    }
}
