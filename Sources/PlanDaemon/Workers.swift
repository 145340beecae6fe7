import Dispatch
import Foundation
import PlanIndex
import Synchronization

/// Runs blocking work on threads that each own a non-Sendable resource (a Xapian handle), so
/// that the handle never leaves its thread: callers hand in closures, never get the resource.
final class ConfinedWorker<Resource>: @unchecked Sendable {
    // @unchecked: `resource` and `closed` are read and written only on `queue`, which is serial.
    private let queue: DispatchQueue
    private var resource: Resource?
    /// Set by `shutdown`: later work gets an error rather than a resource made again.
    private var closed = false
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
            submit(renew: renew, dispose: dispose) { resource in
                continuation.resume(with: Result { try body(resource.get()) })
            }
        }
    }

    /// `run` without waiting: `work` runs on the resource's thread with the resource, or why it
    /// could not be made, and answers its caller itself.
    func submit(renew: Bool = false, dispose: (@Sendable (Resource) -> Void)? = nil,
                _ work: @escaping @Sendable (Result<Resource, Error>) -> Void) {
        queue.async {
            if self.closed {
                work(.failure(DaemonError("the daemon is stopping")))
                return
            }
            if renew, let old = self.resource {
                self.resource = nil
                dispose?(old)
            }
            let made: Result<Resource, Error>
            do {
                if self.resource == nil { self.resource = try self.make() }
                guard let resource = self.resource else { throw DaemonError("resource unavailable") }
                made = .success(resource)
            } catch {
                made = .failure(error)
            }
            work(made)
        }
    }

    /// Drops the resource on its own thread (closing a Xapian handle where it was used).
    func shutdown(_ close: @escaping @Sendable (Resource) -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                if let resource = self.resource { close(resource) }
                self.resource = nil
                self.closed = true
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

    /// What a new request gets: a reader now, a place in the queue, or an error.
    private enum Admission { case reader(Int), wait, closed }

    /// A request waiting for a reader, run on the reader whose index it is given (nil: the pool
    /// was shut down, and the request is answered with an error).
    private typealias Job = @Sendable (Int?) -> Void

    private struct State {
        var idle: [Int]
        /// Requests waiting for a reader, oldest first.
        var pending: [Job] = []
        /// The generation each reader last reopened at, and the configuration it was made with.
        var seen: [Int]
        var seenConfiguration: [Int]
        var closed = false
    }

    init(count: Int, make: @escaping @Sendable () throws -> Searcher) {
        workers = (0..<count).map { ConfinedWorker(label: "plansearch.reader.\($0)", make: make) }
        state = Mutex(State(idle: Array(0..<count), seen: Array(repeating: 0, count: count),
                            seenConfiguration: Array(repeating: 0, count: count)))
    }

    func run<T: Sendable>(_ body: @escaping @Sendable (Searcher) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            submit(body) { continuation.resume(with: $0) }
        }
    }

    /// `run` without waiting: `completion` gets the result on the reader's thread (or on the
    /// caller's, when the pool is shut down). What the daemon's connections use for searches,
    /// so that no task has to be scheduled between the request and its reader.
    func submit<T: Sendable>(_ body: @escaping @Sendable (Searcher) throws -> T,
                             completion: @escaping @Sendable (Result<T, Error>) -> Void) {
        let job: Job = { index in
            guard let index else { return completion(.failure(DaemonError("the daemon is stopping"))) }
            self.execute(on: index, body, completion)
        }
        let next: Admission = state.withLock { s in
            if s.closed { return .closed }
            if let i = s.idle.popLast() { return .reader(i) }
            s.pending.append(job)
            return .wait
        }
        switch next {
        case let .reader(i): job(i)
        case .closed: job(nil)
        case .wait: break
        }
    }

    /// Runs `body` on reader `index`'s thread and, still there, hands the reader to the next
    /// waiting request. (A reader was handed on by the finished request's task, once scheduled
    /// again: with two readers on two cores that wait left a core idle under load, and eight
    /// clients got about a tenth fewer answers than with four readers.)
    private func execute<T: Sendable>(on index: Int, _ body: @escaping @Sendable (Searcher) throws -> T,
                                      _ completion: @escaping @Sendable (Result<T, Error>) -> Void) {
        let current = generation.load(ordering: .acquiring)
        let currentConfiguration = configuration.load(ordering: .acquiring)
        let (needsReopen, needsRemaking) = state.withLock { s in
            defer {
                s.seen[index] = current
                s.seenConfiguration[index] = currentConfiguration
            }
            return (s.seen[index] != current, s.seenConfiguration[index] != currentConfiguration)
        }
        workers[index].submit(renew: needsRemaking, dispose: { $0.close() }) { made in
            let result = Result { () throws -> T in
                let searcher = try made.get()
                if needsReopen, !needsRemaking {
                    do {
                        try searcher.reopen()
                    } catch {
                        // Not current after all: this request is answered from the commit the
                        // reader has, and the next one tries again (marked current, the reader
                        // stayed on the old commit until the next one; failing each request
                        // instead would stop searches while the index cannot be reopened).
                        self.state.withLock { $0.seen[index] = -1 }
                    }
                }
                return try body(searcher)
            }
            self.finished(index)
            completion(result)
        }
    }

    /// Reader `index` is free: the oldest waiting request takes it, or it waits.
    private func finished(_ index: Int) {
        let next: Job? = state.withLock { s in
            if s.pending.isEmpty {
                s.idle.append(index)
                return nil
            }
            return s.pending.removeFirst()
        }
        next?(index)
    }

    /// Closes every reader once its current request is done; requests still waiting, and any
    /// made later, are answered with an error (a reader is never made again).
    func shutdown() async {
        let waiting = state.withLock { s in
            s.closed = true
            defer { s.pending = [] }
            return s.pending
        }
        for job in waiting { job(nil) }
        for worker in workers { await worker.shutdown { $0.close() } }
    }
}
