import Dispatch
import Foundation
import PlanIndex
import Synchronization

/// Runs blocking work on threads that each own a non-Sendable resource (a Xapian handle), so
/// that the handle never leaves its thread: callers hand in closures, never get the resource.
final class ConfinedWorker<Resource>: @unchecked Sendable {
    // @unchecked: `resource` is read and written only on `queue`, which is serial.
    private let queue: DispatchQueue
    private var resource: Resource?
    private let make: @Sendable () throws -> Resource

    init(label: String, make: @escaping @Sendable () throws -> Resource) {
        queue = DispatchQueue(label: label)
        self.make = make
    }

    /// Runs `body` with the resource on its thread. With `renew`, the resource is first let go
    /// (through `dispose`, on its thread) and made again: made under a changed configuration.
    func run<T: Sendable>(renew: Bool = false, dispose: (@Sendable (Resource) -> Void)? = nil,
                          _ body: @escaping @Sendable (Resource) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            queue.async {
                do {
                    if renew, let old = self.resource {
                        self.resource = nil
                        dispose?(old)
                    }
                    if self.resource == nil { self.resource = try self.make() }
                    guard let resource = self.resource else { throw DaemonError("resource unavailable") }
                    continuation.resume(returning: try body(resource))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Drops the resource on its own thread (closing a Xapian handle where it was used).
    func shutdown(_ close: @escaping @Sendable (Resource) -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                if let resource = self.resource { close(resource) }
                self.resource = nil
                continuation.resume()
            }
        }
    }
}

struct DaemonError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A fixed set of readers, each a Searcher on its own thread. A request borrows an idle one
/// (waiting when all are busy), so searches run in parallel and never share a handle.
final class ReaderPool: Sendable {
    private let workers: [ConfinedWorker<Searcher>]
    private let state: Mutex<State>
    /// Bumped by the writer after each commit; a reader that has seen an older one reopens.
    let generation = Atomic<Int>(0)
    /// Bumped when the schema changes (read again at a reindex); a reader that has seen an
    /// older one is made again, with the new schema, synonyms and analyzer.
    let configuration = Atomic<Int>(0)

    private struct State {
        var idle: [Int]
        var waiters: [CheckedContinuation<Int, Never>] = []
        /// The generation each reader last reopened at, and the configuration it was made with.
        var seen: [Int]
        var seenConfiguration: [Int]
    }

    init(count: Int, make: @escaping @Sendable () throws -> Searcher) {
        workers = (0..<count).map { ConfinedWorker(label: "plansearch.reader.\($0)", make: make) }
        state = Mutex(State(idle: Array(0..<count), seen: Array(repeating: 0, count: count),
                            seenConfiguration: Array(repeating: 0, count: count)))
    }

    func run<T: Sendable>(_ body: @escaping @Sendable (Searcher) throws -> T) async throws -> T {
        let index = await acquire()
        defer { release(index) }
        let current = generation.load(ordering: .acquiring)
        let currentConfiguration = configuration.load(ordering: .acquiring)
        let (needsReopen, needsRemaking) = state.withLock { s in
            defer {
                s.seen[index] = current
                s.seenConfiguration[index] = currentConfiguration
            }
            return (s.seen[index] != current, s.seenConfiguration[index] != currentConfiguration)
        }
        return try await workers[index].run(renew: needsRemaking, dispose: { $0.close() }) { searcher in
            if needsReopen, !needsRemaking { try searcher.reopen() }
            return try body(searcher)
        }
    }

    private func acquire() async -> Int {
        await withCheckedContinuation { continuation in
            let ready: Int? = state.withLock { s in
                if let i = s.idle.popLast() { return i }
                s.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func release(_ index: Int) {
        let waiter: CheckedContinuation<Int, Never>? = state.withLock { s in
            if s.waiters.isEmpty {
                s.idle.append(index)
                return nil
            }
            return s.waiters.removeFirst()
        }
        waiter?.resume(returning: index)
    }

    func shutdown() async {
        for worker in workers { await worker.shutdown { $0.close() } }
    }
}
