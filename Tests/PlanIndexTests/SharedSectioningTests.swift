import Foundation
import Synchronization
import Testing
@testable import PlanIndex

@Suite("Shard writers read and section each file once")
struct SharedSectioningTests {
    /// How many times a file was sectioned, counted from several threads.
    final class Calls: Sendable {
        private let count = Mutex(0)
        func add() { count.withLock { $0 += 1 } }
        var value: Int { count.withLock { $0 } }
    }

    static func sectioned(_ text: String) -> SharedSectioning.Sectioned {
        let source = SourceReader.Decoded(text: text, contentHash: "h-\(text.count)", transcodedFrom: nil)
        let document = SectionedDocument(id: "doc", title: text, year: nil, file: "/plans/doc.txt", contentHash: source.contentHash, sections: [])
        return .init(source: source, document: document)
    }

    /// `writers` threads ask for the same file at once; returns what each got.
    static func askAtOnce(_ sharing: SharedSectioning, writers: Int, key: String, calls: Calls,
                          make: @escaping @Sendable () throws(SourceError) -> SharedSectioning.Sectioned) -> [Result<String, SourceError>] {
        let results = Mutex<[Result<String, SourceError>]>([])
        let group = DispatchGroup()
        for _ in 0..<writers {
            group.enter()
            Thread {
                defer { group.leave() }
                let result: Result<String, SourceError>
                do throws(SourceError) {
                    result = .success(try sharing.sectioned(key) { () throws(SourceError) in
                        calls.add()
                        usleep(50_000)  // long enough for the other writers to arrive and wait
                        return try make()
                    }.document.title)
                } catch {
                    result = .failure(error)
                }
                results.withLock { $0.append(result) }
            }.start()
        }
        group.wait()
        return results.withLock { $0 }
    }

    @Test("four writers asking at once: sectioned once, all get it; freed after the last take")
    func once() throws {
        let sharing = SharedSectioning(writers: 4)
        let calls = Calls()
        let got = Self.askAtOnce(sharing, writers: 4, key: "a", calls: calls) { Self.sectioned("甲") }
        #expect(calls.value == 1)
        #expect(got.map { try? $0.get() } == Array(repeating: "甲", count: 4))
        // All four took it: the entry is gone, and a later run's ask sections the file again.
        _ = Self.askAtOnce(sharing, writers: 1, key: "a", calls: calls) { Self.sectioned("乙") }
        #expect(calls.value == 2)
    }

    @Test("a file that cannot be read fails every writer with the same error, read once")
    func failure() throws {
        let sharing = SharedSectioning(writers: 3)
        let calls = Calls()
        let error = SourceError(file: "/plans/bad.txt", reason: .badEncoding, message: "not UTF-8")
        let got = Self.askAtOnce(sharing, writers: 3, key: "bad", calls: calls) { () throws(SourceError) in throw error }
        #expect(calls.value == 1)
        #expect(got.count == 3)
        for result in got {
            guard case let .failure(e) = result else { Issue.record("a writer got a document for an unreadable file"); continue }
            #expect(e == error)
        }
    }

    @Test("different keys (another file, or the same file changed) are sectioned apart")
    func keys() throws {
        let sharing = SharedSectioning(writers: 2)
        let calls = Calls()
        _ = Self.askAtOnce(sharing, writers: 1, key: "f\u{0}10", calls: calls) { Self.sectioned("旧") }
        let changed = Self.askAtOnce(sharing, writers: 1, key: "f\u{0}12", calls: calls) { Self.sectioned("新的") }
        #expect(calls.value == 2)
        #expect(changed.map { try? $0.get() } == ["新的"])
    }

    @Test("a writer that passes a file by, or stops, frees the others' copy once they have it")
    func passAndStop() throws {
        let calls = Calls()
        // Two writers: one passes (its record says unchanged), one sections: nothing kept.
        let two = SharedSectioning(writers: 2)
        two.pass("f")
        _ = Self.askAtOnce(two, writers: 1, key: "f", calls: calls) { Self.sectioned("一") }
        _ = Self.askAtOnce(two, writers: 1, key: "f", calls: calls) { Self.sectioned("一") }
        #expect(calls.value == 2, "the entry outlived every writer's share")

        // Three writers: one sections, one stops, the third takes it: freed.
        let three = SharedSectioning(writers: 3)
        _ = Self.askAtOnce(three, writers: 1, key: "g", calls: calls) { Self.sectioned("二") }
        three.writerStopped()
        _ = Self.askAtOnce(three, writers: 1, key: "g", calls: calls) { Self.sectioned("二") }
        #expect(calls.value == 3)
        _ = Self.askAtOnce(three, writers: 1, key: "g", calls: calls) { Self.sectioned("二") }
        #expect(calls.value == 4, "the entry outlived the remaining writers' takes")
    }

    @Test("a stopped writer frees entries the others already took in full")
    func stopFreesTaken() throws {
        let calls = Calls()
        let sharing = SharedSectioning(writers: 3)
        _ = Self.askAtOnce(sharing, writers: 2, key: "h", calls: calls) { Self.sectioned("三") }
        #expect(calls.value == 1)
        sharing.writerStopped()  // the third will never come
        _ = Self.askAtOnce(sharing, writers: 1, key: "h", calls: calls) { Self.sectioned("三") }
        #expect(calls.value == 2)
    }
}
