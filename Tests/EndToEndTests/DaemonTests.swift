import Foundation
import Glibc
import Synchronization
import Testing

/// Set once, read from many tasks.
final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

@Suite("The daemon on a real socket", .serialized)
struct DaemonTests {
    @Test("every method answers")
    func methods() throws {
        let d = try DaemonHarness()
        defer { d.stopAndCollectLog() }
        let c = try RawClient(d.socket)
        let ping = try c.request(#"{"id":1,"method":"ping"}"#)
        #expect(ping.result?["protocol"] as? Int == 1)
        #expect(ping["id"] as? Int == 1)

        let search = try c.request(#"{"id":"s","method":"search","params":{"query":"\"必不可少\"","with_text":true}}"#)
        let hit = try #require(search.hits.first)
        #expect(hit["para"] as? String == "13.5")
        #expect((hit["file"] as? String)?.hasSuffix("/plans/itc.txt") == true)
        #expect(hit["line"] as? Int == 7)
        #expect((hit["text"] as? String)?.contains("必不可少") == true)
        #expect(search.result?["exact"] as? Bool == true)
        #expect((hit["highlights"] as? [[Int]])?.isEmpty == false)

        let id = try #require(hit["id"] as? String)
        let get = try c.request(#"{"id":2,"method":"get","params":{"id":"\#(id)"}}"#)
        #expect((get.result?["text"] as? String)?.contains("国际贸易中心") == true)
        #expect(try c.request(#"{"id":3,"method":"get","params":{"id":"nope"}}"#).errorCode == "not_found")
        #expect(try c.request(#"{"id":3,"method":"get","params":{"id":""}}"#).errorCode == "invalid_params")
        #expect(try c.request(#"{"id":3,"method":"ping","params":null}"#).result?["version"] is String)

        let documents = try c.request(#"{"id":4,"method":"documents"}"#)
        let docs = (documents.result?["documents"] as? [[String: Any]]) ?? []
        #expect(Set(docs.compactMap { $0["id"] as? String }) == ["itc.txt", "un.txt"])
        #expect(docs.allSatisfy { ($0["hash"] as? String)?.count == 32 && $0["indexed"] is String })

        let stats = try c.request(#"{"id":5,"method":"stats"}"#)
        #expect(stats.result?["documents"] as? Int == 2)
        #expect((stats.result?["requests"] as? Int ?? 0) >= 4)
        #expect(stats.result?["latency_ms"] is [String: Any])

        let reindex = try c.request(#"{"id":6,"method":"reindex"}"#)
        #expect(reindex.result?["unchanged"] as? Int == 2)
        let outside = try c.request(#"{"id":7,"method":"reindex","params":{"paths":["/etc"]}}"#)
        #expect(outside.errorCode == "invalid_params")
        let none = try c.request(#"{"id":7,"method":"reindex","params":{"paths":[]}}"#)
        #expect(none.errorCode == "invalid_params")
        #expect(none.errorMessage?.contains("paths") == true)
        // A relative path would be taken from the daemon's working directory, not the client's.
        let relative = try c.request(#"{"id":7,"method":"reindex","params":{"paths":["plans"]}}"#)
        #expect(relative.errorCode == "invalid_params" && relative.errorMessage?.contains("relative") == true)
        let twice = try c.request(#"{"id":7,"method":"reindex","params":{"paths":["\#(d.plans)","\#(d.plans)/"]}}"#)
        #expect(twice.result?["unchanged"] as? Int == 2)

        let filtered = try c.request(#"{"id":8,"method":"search","params":{"query":"妇女","filters":{"doc":["un.txt"]}}}"#)
        #expect(filtered.hits.map { $0["doc"] as? String } == ["un.txt"])
        let relaxed = try c.request(#"{"id":9,"method":"search","params":{"query":"妇女 火星"}}"#)
        #expect(relaxed.result?["exact"] as? Bool == false)
        #expect(relaxed.result?["missing"] as? [String] == ["火星"])
    }

    @Test("a daemon that builds a new index at start compacts it before serving; one given an index does not")
    func compactsNewIndexAtStart() throws {
        let d = try DaemonHarness()
        let c = try RawClient(d.socket)
        #expect(try c.request(#"{"id":1,"method":"search","params":{"query":"妇女"}}"#).hits.count == 2)
        // The writer is open again, on the compacted index: a reindex works.
        let again = try c.request(#"{"id":2,"method":"reindex"}"#)
        #expect(again.result?["unchanged"] as? Int == 2, "\(again)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: d.dir.path).sorted() == ["db", "plans", "s.sock"])
        let log = d.stopAndCollectLog()
        #expect(log.contains("compacted the new index"), "\(log)")

        let given = try DaemonHarness(shards: 2)
        let log2 = given.stopAndCollectLog()
        #expect(log2.contains("indexed at start") && !log2.contains("compact"), "\(log2)")
    }

    @Test("a changed file is searchable after reindex, while searches go on")
    func reindexWhileSearching() throws {
        let d = try DaemonHarness()
        defer { d.stopAndCollectLog() }
        // Many new files: the writer works (and used to commit) many times while searches run.
        let count = 300
        for i in 0..<count {
            try Data(" 2.\(i) 新增的段落：泥炭地保护，第\(i)号。 \n".utf8).write(to: URL(fileURLWithPath: d.plans + "/new\(i).txt"))
        }
        let socket = d.socket
        let done = Flag()
        let failures = Mutex<[String]>([])
        // Blocking clients on threads of their own (not Swift's cooperative pool, which they
        // would starve): 6 search until the reindex is over.
        let group = DispatchGroup()
        for _ in 0..<6 {
            DispatchQueue.global().async(group: group) {
                do {
                    let c = try RawClient(socket)
                    var i = 0
                    while !done.isSet, i < 3_000 {
                        i += 1
                        // An exclusion alone too: it lists every section but those, through a
                        // match-all query, which once copied Xapian's static MatchAll on every
                        // reader thread at once and corrupted the heap.
                        if i % 3 == 0 {
                            let r = try c.request(#"{"id":\#(i),"method":"search","params":{"query":"-火星"}}"#)
                            if r.hits.isEmpty { failures.withLock { $0.append(r.errorMessage ?? "no hits for -火星") } }
                            continue
                        }
                        let r = try c.request(#"{"id":\#(i),"method":"search","params":{"query":"妇女"}}"#)
                        if r.hits.isEmpty { failures.withLock { $0.append(r.errorMessage ?? "no hits") } }
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        let c = try RawClient(socket)
        let reindex = try c.request(#"{"id":"r","method":"reindex"}"#)
        done.set()
        group.wait()
        #expect(reindex.result?["added"] as? Int == count, "\(reindex)")
        let failed = failures.withLock { $0 }
        #expect(failed.isEmpty, "\(failed.count) searches failed, e.g. \(failed.prefix(2))")
        #expect(try c.request(#"{"id":1,"method":"search","params":{"query":"泥炭地","limit":1000}}"#).hits.count == count)
    }

    @Test("on a sharded index, every shard's writer reindexes a change; an unreadable file fails once")
    func shardedReindex() throws {
        let d = try DaemonHarness(shards: 3)
        defer { d.stopAndCollectLog() }
        let c = try RawClient(d.socket)
        let before = try c.request(#"{"id":1,"method":"stats"}"#)
        #expect(before.result?["documents"] as? Int == 2)
        let sectionsBefore = try #require(before.result?["sections"] as? Int)

        // A changed file, a new one, and one that is not text.
        let itc = d.plans + "/itc.txt"
        var changed = try String(contentsOfFile: itc, encoding: .utf8)
        changed += " 13.7 新增：泥炭地保护和湿地管理。 \n\n 13.8 第二段：泥炭地的碳储量。 \n"
        try Data(changed.utf8).write(to: URL(fileURLWithPath: itc))
        try Data(" 3.1 新文件：泥炭地。 \n\n 3.2 另一段。 \n".utf8).write(to: URL(fileURLWithPath: d.plans + "/new.txt"))
        try Data([0x00, 0x01, 0x02, 0xFF, 0x00, 0x9F, 0x00]).write(to: URL(fileURLWithPath: d.plans + "/bad.txt"))

        let r = try c.request(#"{"id":2,"method":"reindex"}"#)
        #expect(r.result?["updated"] as? Int == 1)
        #expect(r.result?["added"] as? Int == 1)
        #expect(r.result?["unchanged"] as? Int == 1)
        // Every shard's writer met the file; it is one failure, reported once.
        #expect(r.result?["failed"] as? Int == 1)
        let hits = try c.request(#"{"id":3,"method":"search","params":{"query":"泥炭地","limit":20}}"#).hits
        #expect(Set(hits.compactMap { $0["para"] as? String }) == ["13.7", "13.8", "3.1"])
        let after = try c.request(#"{"id":4,"method":"stats"}"#)
        #expect(after.result?["documents"] as? Int == 3)
        #expect(after.result?["sections"] as? Int == sectionsBefore + 4)
        // Nothing else was lost: the untouched file still answers.
        #expect(try c.request(#"{"id":5,"method":"search","params":{"query":"大会和会议管理部"}}"#).hits.count == 1)
    }

    @Test("pipelining 100 requests in one write; answers in order")
    func pipelining() throws {
        let d = try DaemonHarness()
        defer { d.stopAndCollectLog() }
        let c = try RawClient(d.socket)
        var batch = ""
        for i in 0..<100 {
            batch += i % 2 == 0 ? #"{"id":\#(i),"method":"ping"}"# : #"{"id":\#(i),"method":"search","params":{"query":"妇女"}}"#
            batch += "\n"
        }
        try c.send(batch)
        for i in 0..<100 {
            let r = try #require(try c.readResponse())
            #expect(r["id"] as? Int == i)
            #expect(r["error"] == nil)
        }
    }

    @Test("byte-at-a-time writes and a half-close still get every answer")
    func slowAndHalfClosed() throws {
        let d = try DaemonHarness()
        defer { d.stopAndCollectLog() }
        let c = try RawClient(d.socket)
        for byte in Array(#"{"id":"slow","method":"search","params":{"query":"妇女"}}"#.utf8) + [0x0A] {
            try c.send([byte])
        }
        #expect(try c.readResponse()?["id"] as? String == "slow")
        try c.send(#"{"id":1,"method":"ping"}"# + "\n" + #"{"id":2,"method":"search","params":{"query":"电子商务"}}"# + "\n")
        c.halfClose()
        #expect(try c.readResponse()?["id"] as? Int == 1)
        let last = try c.readResponse()
        #expect(last?["id"] as? Int == 2)
        #expect(last?.hits.isEmpty == false)
        #expect(try c.readResponse() == nil)
    }

    @Test("a last line without its newline is answered when the client closes its side, after the lines before it")
    func lastLineWithoutNewline() throws {
        let d = try DaemonHarness()
        defer { d.stopAndCollectLog() }
        let c = try RawClient(d.socket)
        try c.send(#"{"id":1,"method":"search","params":{"query":"妇女"}}"# + "\n" + #"{"id":2,"method":"ping"}"# + "\n"
            + #"{"id":3,"method":"search","params":{"query":"电子商务"}}"#)
        c.halfClose()
        for id in 1...3 { #expect(try c.readResponse()?["id"] as? Int == id) }
        #expect(try c.readResponse() == nil)
        // A broken last line gets its error, after the answers before it.
        let broken = try RawClient(d.socket)
        try broken.send(#"{"id":4,"method":"search","params":{"query":"妇女"}}"# + "\n" + #"{"id":5,"meth"#)
        broken.halfClose()
        #expect(try broken.readResponse()?["id"] as? Int == 4)
        #expect(try broken.readResponse()?.errorCode == "parse_error")
        #expect(try broken.readResponse() == nil)
    }

    @Test("a line over the limit is refused after the answers to the lines before it")
    func tooLargeAfterASearch() throws {
        let d = try DaemonHarness(extraPlans: ["big.txt": Self.bigPlan])
        defer { d.stopAndCollectLog() }
        let c = try RawClient(d.socket)
        // The first answer (about 400 KB) is still being written, as the client reads nothing
        // yet, while the rest of the long line arrives.
        try? c.send(#"{"id":1,"method":"search","params":{"query":"妇女","limit":400,"with_text":true,"fold_copies":false}}"# + "\n"
            + #"{"id":2,"method":"search","params":{"query":""# + String(repeating: "a", count: 2_100_000) + "\"}}\n")
        #expect(try c.readResponse()?["id"] as? Int == 1)
        #expect(try c.readResponse()?.errorCode == "too_large")
        #expect(try c.readResponse() == nil)
    }

    /// 300 sections of about 1 KB, all holding 妇女: a page of them with text is about 400 KB.
    static let bigPlan = (1...300).map { " \($0).1 \(String(repeating: "妇女参与贸易和可持续发展。", count: 25)) \n\n" }.joined()

    @Test("an answer larger than the socket's buffers still arrives whole after a half-close")
    func largeAnswerAfterHalfClose() throws {
        // One page of the big plan with text is far larger than what a Unix socket buffers, so
        // the daemon still holds most of the answer when the client's end of input arrives (the
        // daemon used to close then, cutting the answer off mid-line).
        let d = try DaemonHarness(extraPlans: ["big.txt": Self.bigPlan])
        defer { d.stopAndCollectLog() }
        let c = try RawClient(d.socket)
        try c.send(#"{"id":1,"method":"search","params":{"query":"妇女","limit":400,"with_text":true,"fold_copies":false}}"# + "\n")
        c.halfClose()
        Thread.sleep(forTimeInterval: 0.5)  // let the daemon reach the end of input before reading
        let answer = try #require(try c.readResponse())
        #expect(answer["id"] as? Int == 1)
        #expect(answer.hits.count >= 300)
        #expect(try c.readResponse() == nil)
    }

    @Test("asked to stop, the daemon does not wait forever for a client that stopped reading")
    func stopWithStalledClient() throws {
        let d = try DaemonHarness(extraPlans: ["big.txt": Self.bigPlan])
        let c = try RawClient(d.socket)
        var small: Int32 = 4096
        setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        try c.send(#"{"id":1,"method":"search","params":{"query":"妇女","limit":400,"with_text":true,"fold_copies":false}}"# + "\n")
        Thread.sleep(forTimeInterval: 0.5)  // the answer is written as far as the buffers take it
        let asked = Date()
        d.stopAndCollectLog()  // SIGTERM, then waits for the exit
        #expect(Date().timeIntervalSince(asked) < 20, "the daemon took \(Date().timeIntervalSince(asked)) s to stop")
        #expect(d.log.contains("closing connections still busy"), "\(d.log.suffix(500))")
    }

    @Test("bad input gets an error and the connection stays usable")
    func badInput() throws {
        let d = try DaemonHarness()
        defer { d.stopAndCollectLog() }
        let c = try RawClient(d.socket)
        let cases: [([UInt8], String)] = [
            (Array("not json".utf8), "parse_error"),
            ([0xFF, 0xFE, 0x7B, 0x7D], "parse_error"),
            (Array("[1,2]".utf8), "invalid_request"),
            (Array(#"{"id":1}"#.utf8), "invalid_request"),
            (Array(#"{"id":1,"method":"fly"}"#.utf8), "method_not_found"),
            (Array(#"{"id":1,"method":"search","params":{"query":5}}"#.utf8), "invalid_params"),
            (Array(#"{"id":1,"method":"search","params":{}}"#.utf8), "invalid_params"),
            (Array(#"{"id":1,"method":"search","params":{"query":"a","limit":100000}}"#.utf8), "invalid_params"),
            (Array(#"{"id":1,"method":"search","params":"x"}"#.utf8), "invalid_params"),
            (Array((String(repeating: "[", count: 100_000)).utf8), "invalid_request"),
            (Array(#"{"id":{"a":1},"method":"ping"}"#.utf8), "invalid_request"),
            (Array(#"{"id":1,"method":"search","params":{"query":"heading:"}}"#.utf8), "invalid_params"),
            (Array(#"{"id":1,"method":"search","params":{"query":"妇女 heading:\"\""}}"#.utf8), "invalid_params"),
            (Array(#"{"id":1,"method":"search","params":{"query":"妇女 doc:"}}"#.utf8), "invalid_params"),
            (Array(#"{"id":1,"method":"search","params":{"query":"妇女","filters":{"doc":[]}}}"#.utf8), "invalid_params"),
            (Array(#"{"id":1,"method":"search","params":{"query":"妇女","limit":1.5}}"#.utf8), "invalid_params"),
        ]
        for (bytes, code) in cases {
            try c.send(bytes + [0x0A])
            let r = try #require(try c.readResponse())
            #expect(r.errorCode == code, "\(String(decoding: bytes.prefix(40), as: UTF8.self))")
            #expect(try c.request(#"{"id":"ok","method":"ping"}"#).result != nil)
        }
        // A number that is no whole number names its parameter.
        let fraction = try c.request(#"{"id":1,"method":"search","params":{"query":"妇女","limit":1.5}}"#)
        #expect(fraction.errorMessage?.contains("\"limit\" must be a whole number") == true, "\(fraction.errorMessage ?? "")")
        let ignored = try c.request(#"{"id":1,"method":"search","params":{"query":"妇女","foo":1.5,"limit":2.5}}"#)
        #expect(ignored.errorMessage?.contains("\"limit\" must be a whole number") == true, "\(ignored.errorMessage ?? "")")
        let huge = try c.request(#"{"id":1,"method":"search","params":{"query":"妇女","offset":99999999999999999999}}"#)
        #expect(huge.errorMessage?.contains("\"offset\"") == true, "\(huge.errorMessage ?? "")")
    }

    @Test("a line over 1 MiB gets too_large and the connection closes; others go on")
    func tooLarge() throws {
        let d = try DaemonHarness()
        defer { d.stopAndCollectLog() }
        let c = try RawClient(d.socket)
        try? c.send(#"{"id":1,"method":"search","params":{"query":""# + String(repeating: "a", count: 1_100_000))
        let r = try c.readResponse()
        #expect(r?.errorCode == "too_large")
        #expect(try c.readResponse() == nil)
        #expect(try RawClient(d.socket).request(#"{"id":2,"method":"ping"}"#).result != nil)
        // The limit is exact: a whole line of 1 MiB is answered, one byte more is refused
        // (the decoder's own limit is on its buffer, and let such a line through in one read).
        let ping = #"{"id":3,"method":"ping"}"#
        let atLimit = try RawClient(d.socket)
        #expect(try atLimit.request(ping + String(repeating: " ", count: (1 << 20) - ping.utf8.count)).result != nil)
        let over = try RawClient(d.socket)
        #expect(try over.request(ping + String(repeating: " ", count: (1 << 20) + 1 - ping.utf8.count)).errorCode == "too_large")
    }

    /// A client let in (the harness's readiness probe may not be released by the daemon yet:
    /// a connection counts as taken until then, so wait for one to answer).
    static func connected(_ d: DaemonHarness) throws -> RawClient {
        let deadline = Date().addingTimeInterval(10)
        while true {
            let client = try RawClient(d.socket)
            if (try? client.request(#"{"id":1,"method":"ping"}"#))?.result != nil { return client }
            guard Date() < deadline else { throw HarnessError("no connection was let in") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    @Test("more connections than allowed get overloaded, which the command-line client shows")
    func overloaded() throws {
        let d = try DaemonHarness(extraArguments: ["--max-connections", "2", "--evict-idle-after", "0"])
        defer { d.stopAndCollectLog() }
        let a = try Self.connected(d), b = try Self.connected(d)
        #expect(try a.request(#"{"id":2,"method":"ping"}"#).result != nil)
        #expect(try b.request(#"{"id":2,"method":"ping"}"#).result != nil)
        let c = try RawClient(d.socket)
        #expect(try c.readResponse()?.errorCode == "overloaded")
        // A client that sends its request first still reads the refusal: the daemon drains the
        // request before closing, where closing at once made the client's write fail (EPIPE)
        // or its read reset, and the CLI said only that the daemon closed the connection.
        for _ in 0..<3 {
            let cli = try Binary.run(["stats", "--socket", d.socket])
            #expect(cli.status != 0)
            #expect(cli.stderr.contains("overloaded: too many connections (2)"), "\(cli.stderr)")
        }
        let sent = try RawClient(d.socket)
        try sent.send(#"{"id":3,"method":"search","params":{"query":"妇女"}}"# + "\n" + String(repeating: " ", count: 200_000))
        #expect(try sent.readResponse()?.errorCode == "overloaded")
    }

    @Test("when all connections are taken, the one idle longest makes way for a new one")
    func idleConnectionsMakeWay() throws {
        let d = try DaemonHarness(extraArguments: ["--max-connections", "2", "--evict-idle-after", "0.3"])
        defer { d.stopAndCollectLog() }
        let a = try Self.connected(d), b = try Self.connected(d)
        #expect(try b.request(#"{"id":2,"method":"ping"}"#).result != nil)
        Thread.sleep(forTimeInterval: 0.6)
        #expect(try b.request(#"{"id":3,"method":"ping"}"#).result != nil)
        // a has been idle longest (b answered just now): it is closed, and c is answered.
        let c = try RawClient(d.socket)
        #expect(try c.request(#"{"id":4,"method":"ping"}"#).result != nil)
        #expect(try a.readResponse() == nil)
        #expect(try b.request(#"{"id":5,"method":"ping"}"#).result != nil)
        // b and c were active within the last 0.3 s: none makes way for a fourth.
        let e = try RawClient(d.socket)
        #expect(try e.readResponse()?.errorCode == "overloaded")

        // A client partway through sending a line is not idle, whatever the daemon's books say
        // (they count from the last answer): it is left alone, and the newcomer let in.
        Thread.sleep(forTimeInterval: 0.6)
        try c.send(#"{"id":6,"#)
        Thread.sleep(forTimeInterval: 0.05)
        #expect(try b.request(#"{"id":7,"method":"ping"}"#).result != nil)
        let f = try RawClient(d.socket)
        #expect(try f.request(#"{"id":8,"method":"ping"}"#).result != nil)
        try c.send(#""method":"ping"}"# + "\n")
        #expect(try c.readResponse()?["id"] as? Int == 6)

        let huge = try Binary.run(["serve", "--db", d.dir.path + "/db3", "--socket", d.dir.path + "/s3", "--evict-idle-after", "1e16"])
        #expect(huge.status != 0 && huge.stderr.contains("--evict-idle-after must be 0 (never) or from 0.01 to 86400"), "\(huge.stderr)")
    }

    @Test("SIGTERM removes the socket and exits 0; a stale socket is replaced; a live one is respected")
    func lifecycle() throws {
        let d = try DaemonHarness()
        // A second daemon on the same socket refuses to start.
        let second = try Binary.run(["serve", "--db", d.dir.path + "/db2", "--socket", d.socket])
        #expect(second.status != 0)
        #expect(second.stderr.contains("already running"))
        // Socket permissions: owner only.
        var info = stat()
        #expect(stat(d.socket, &info) == 0 && (info.st_mode & 0o777) == 0o600)

        let c = try RawClient(d.socket)
        _ = try c.request(#"{"id":1,"method":"ping"}"#)
        let log = d.stopAndCollectLog()
        #expect(d.running.process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: d.socket))
        #expect(log.contains("stopped"))

        // A stale socket file (a daemon that was SIGKILLed) is taken over.
        let crashed = try Binary.start(["serve", "--db", d.db, "--socket", d.socket])
        var waited = 0
        while !FileManager.default.fileExists(atPath: d.socket), waited < 600 { Thread.sleep(forTimeInterval: 0.05); waited += 1 }
        kill(crashed.process.processIdentifier, SIGKILL)
        crashed.process.waitUntilExit()
        #expect(FileManager.default.fileExists(atPath: d.socket))
        let again = try DaemonHarness(plans: d.plans)
        defer { again.stopAndCollectLog() }
        _ = again
    }

    @Test("a socket named without a directory is made in the working directory")
    func bareSocketName() throws {
        let d = try DaemonHarness()
        d.stopAndCollectLog()
        // (It failed at start with "The file doesn't exist": the socket's directory was "".)
        let daemon = try Binary.start(["serve", "--db", d.db, "--socket", "bare.sock"], directory: d.dir.path)
        defer {
            if daemon.process.isRunning {
                kill(daemon.process.processIdentifier, SIGTERM)
                daemon.process.waitUntilExit()
            }
        }
        var answer: [String: Any]?
        for _ in 0..<600 where answer == nil && daemon.process.isRunning {
            answer = try? RawClient(d.dir.path + "/bare.sock").request(#"{"id":1,"method":"ping"}"#)
            if answer == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        let failure = daemon.process.isRunning ? ""
            : String(decoding: daemon.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(answer?["result"] != nil, "\(failure)")
    }

    @Test("a reindex reads an edited schema and synonyms file again; a schema with a mistake is refused and changes nothing")
    func schemaReadAgain() throws {
        let schemas = try TempDir()
        try FileManager.default.copyItem(atPath: Binary.root + "/IndexSchemas", toPath: schemas.path + "/s")
        let schemaFile = schemas.path + "/s/un-plan.json"
        let d = try DaemonHarness(extraArguments: ["--schema", schemaFile])
        defer { d.stopAndCollectLog() }
        let c = try RawClient(d.socket)
        #expect(try c.request(#"{"id":1,"method":"search","params":{"query":"女性"}}"#).hits.isEmpty)
        let unchanged = try c.request(#"{"id":2,"method":"reindex"}"#)
        #expect(unchanged.result?["rules_changed"] as? Int == 0)

        // A new synonym group applies to searches after the next reindex.
        let synonyms = try String(contentsOfFile: schemas.path + "/s/synonyms.txt", encoding: .utf8)
        try (synonyms + "\n女性 | 妇女\n").write(toFile: schemas.path + "/s/synonyms.txt", atomically: true, encoding: .utf8)
        #expect(try c.request(#"{"id":3,"method":"reindex"}"#).errorCode == nil)
        // Broken right after, before any search: the readers, made again at their next search,
        // search with what the reindex read (they once read the file themselves, and failed).
        try (synonyms + "\n女性 | 妇女\n坏的一行\n").write(toFile: schemas.path + "/s/synonyms.txt", atomically: true, encoding: .utf8)
        #expect(try c.request(#"{"id":4,"method":"search","params":{"query":"女性"}}"#).hits.count == 2)
        try (synonyms + "\n女性 | 妇女\n").write(toFile: schemas.path + "/s/synonyms.txt", atomically: true, encoding: .utf8)

        // An edited rule: every file is split again under it.
        let schema = try String(contentsOfFile: schemaFile, encoding: .utf8)
        try schema.replacingOccurrences(of: "\"max_chars\": 1500", with: "\"max_chars\": 1400")
            .write(toFile: schemaFile, atomically: true, encoding: .utf8)
        let edited = try c.request(#"{"id":5,"method":"reindex"}"#)
        #expect(edited.result?["rules_changed"] as? Int == 2, "\(edited)")

        // A mistake: refused with the problem named; searching goes on as before.
        try schema.replacingOccurrences(of: "\"max_chars\": 1500", with: "\"max_chars\": \"many\"")
            .write(toFile: schemaFile, atomically: true, encoding: .utf8)
        let broken = try c.request(#"{"id":6,"method":"reindex"}"#)
        #expect(broken.errorCode == "schema_error")
        #expect(broken.errorMessage?.contains("max_chars") == true, "\(broken.errorMessage ?? "")")
        #expect(try c.request(#"{"id":7,"method":"search","params":{"query":"女性"}}"#).hits.count == 2)
    }

    @Test("index --wait on a daemon's index says what it waits for (a daemon never lets go)")
    func indexWaitsForDaemon() throws {
        let d = try DaemonHarness()
        defer { d.stopAndCollectLog() }
        let waiting = try Binary.start(["index", "--db", d.db, "--wait", d.plans])
        Thread.sleep(forTimeInterval: 2)
        let stillWaiting = waiting.process.isRunning
        kill(waiting.process.processIdentifier, SIGKILL)
        waiting.process.waitUntilExit()
        let stderr = String(decoding: waiting.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(stillWaiting)
        #expect(stderr.contains("waiting for \(d.db): another indexer or a running daemon writes it"), "\(stderr)")
    }

    @Test("the command-line client: search, vimgrep, and a clear message when no daemon runs")
    func cli() throws {
        let d = try DaemonHarness(extraPlans: ["peat.txt": " 1.1 保护泥炭地(peatland)和湿地。 \n",
                                               "two\nlines.txt": " 1.1 北极苔原的保护。 \n"])
        defer { d.stopAndCollectLog() }
        let text = try Binary.run(["search", "--socket", d.socket, "妇女"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("/plans/itc.txt:7:"))
        let vimgrep = try Binary.run(["search", "--socket", d.socket, "--vimgrep", "\"电子商务\""])
        #expect(vimgrep.stdout.split(separator: "\n").first?.hasSuffix("13.6 电子商务和青年企业家。") == true)
        #expect(vimgrep.stdout.hasPrefix(d.plans + "/itc.txt:11:1:"))
        // An exclusion may come first; a misspelt option is refused, not searched for.
        let excluding = try Binary.run(["search", "--socket", d.socket, "-电子商务", "--limit", "50", "妇女"])
        #expect(excluding.status == 0 && excluding.stdout.contains("/plans/itc.txt:7:"), "\(excluding.stderr)")
        #expect(!excluding.stdout.contains("电子商务"))
        let misspelt = try Binary.run(["search", "--socket", d.socket, "--limt", "5", "妇女"])
        #expect(misspelt.status != 0 && misspelt.stderr.contains("unknown option '--limt'"))
        let short = try Binary.run(["search", "--socket", d.socket, "-n", "5", "妇女"])
        #expect(short.status != 0 && short.stderr.contains("unknown option '-n'"))
        // After --, a Latin exclusion; the -- itself is not part of the query.
        let latin = try Binary.run(["search", "--socket", d.socket, "--json", "--", "-ITC", "妇女"])
        #expect(latin.status == 0 && latin.stdout.contains("\"hits\""), "\(latin.stderr)")
        let separated = try Binary.run(["search", "--socket", d.socket, "--json", "--", "？？？"])
        #expect(separated.stdout.contains("\"missing\":[\"？？？\"]"), "\(separated.stdout.prefix(300))")
        // A hit filling the page says what it lacks; the footer counts it apart from `total`.
        let filled = try Binary.run(["search", "--socket", d.socket, "妇女", "市场"])
        #expect(filled.stdout.contains("/plans/un.txt:1: ¶1.1 [lacks 市场] — "), "\(filled.stdout)")
        #expect(filled.stdout.contains("\n1 of about 1, then 1 lacking a word ("), "\(filled.stdout)")
        let relaxed = try Binary.run(["search", "--socket", d.socket, "妇女", "火星"])
        #expect(relaxed.stdout.contains("; not found: 火星"), "\(relaxed.stdout)")
        // A single word that matches nothing is said too (the answer is exact: nothing was
        // relaxed), with the indexed words one edit away.
        let alone = try Binary.run(["search", "--socket", d.socket, "火星"])
        #expect(alone.stdout.hasPrefix("0 of about 0 (") && alone.stdout.contains("; not found: 火星"), "\(alone.stdout)")
        let near = try Binary.run(["search", "--socket", d.socket, "peatlund"])
        #expect(near.stdout.contains("; not found: peatlund; for peatlund, did you mean peatland?"), "\(near.stdout)")
        // A newline in a file name is escaped: a vimgrep line per hit, and no line that reads
        // as a hit of its own.
        let oddName = try Binary.run(["search", "--socket", d.socket, "--vimgrep", "苔原"])
        #expect(oddName.stdout == d.plans + "/two\\nlines.txt:1:1:1.1 北极苔原的保护。\n", "\(oddName.stdout)")
        // A negative limit is a wrong number, named by the daemon, not a "missing value".
        let negative = try Binary.run(["search", "--socket", d.socket, "--limit", "-1", "妇女"])
        #expect(negative.status != 0 && negative.stderr.contains("invalid_params") && negative.stderr.contains("limit"),
                "\(negative.stderr)")
        let none = try Binary.run(["search", "--socket", d.dir.path + "/none.sock", "妇女"])
        #expect(none.status != 0)
        #expect(none.stderr.contains("no PlanSearch daemon"))
    }
}
