import ArgumentParser
import Foundation
import Synchronization
import PlanDaemon
import PlanIndex
import PlanProtocol

typealias PlanProtocolSearchResult = SearchResult

/// Runs the real `plansearch` binary (built beside this one) as a user would.
enum RealDaemon {
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent().appendingPathComponent("plansearch").path
    }

    static func run(_ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        var env = ProcessInfo.processInfo.environment
        env["PLANSEARCH_SCHEMAS"] = BenchSupport.root + "/IndexSchemas"
        p.environment = env
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw ValidationError("plansearch \(arguments.first ?? "") failed") }
    }

    /// Starts `serve` over an existing index; returns the process and the seconds until it
    /// first answered.
    static func start(db: String, socket: String, analyzer: String, extra: [String] = []) throws -> (Process, Double) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["serve", "--db", db, "--socket", socket, "--analyzer", analyzer, "--log-level", "error"] + extra
        // The daemon's own errors (a crash's backtrace among them) go to a log beside its socket.
        _ = FileManager.default.createFile(atPath: socket + ".log", contents: nil)
        p.standardError = FileHandle(forWritingAtPath: socket + ".log") ?? FileHandle.nullDevice
        var env = ProcessInfo.processInfo.environment
        env["PLANSEARCH_SCHEMAS"] = BenchSupport.root + "/IndexSchemas"
        p.environment = env
        let start = Date()
        try p.run()
        while Date().timeIntervalSince(start) < 60 {
            if let client = try? DaemonClient(socketPath: socket), (try? client.call(method: "ping")) != nil {
                return (p, Date().timeIntervalSince(start))
            }
            usleep(2000)
        }
        p.terminate()
        throw ValidationError("the daemon did not answer within 60 s")
    }

    /// The workload's search requests, encoded once: the clients share the two cores with the
    /// daemon, so they send ready-made lines and read answers without decoding them (decoding
    /// with Foundation took a tenth of the machine at eight clients), which measures the daemon.
    static func requestLines(_ workload: [String], limit: Int = 10) throws -> [[UInt8]] {
        try workload.map { query in
            let request: [String: Any] = ["id": 1, "method": "search", "params": ["query": query, "limit": limit]]
            return [UInt8](try JSONSerialization.data(withJSONObject: request)) + [0x0A]
        }
    }

    /// Whether a response line is a result (not an error): `{"id":1,"result":...`.
    static func isResult(_ line: [UInt8]) -> Bool {
        let head = line.prefix(24)
        let marker = Array(#""result":"#.utf8)
        return head.indices.contains { head[$0...].starts(with: marker) }
    }

    /// Client-side latencies (ms, sorted) of `rounds` passes over the requests; throws when the
    /// daemon answers one with an error (a fast error would pass for a fast search).
    static func latencies(_ client: DaemonClient, _ requests: [[UInt8]], rounds: Int) throws -> [Double] {
        var latencies: [Double] = []
        for _ in 0..<rounds {
            for line in requests {
                let t = ContinuousClock.now
                let answer = try client.exchange(line)
                latencies.append(Indexer.seconds(ContinuousClock.now - t) * 1000)
                guard isResult(answer) else { throw ValidationError("the daemon answered with an error: \(String(decoding: answer, as: UTF8.self))") }
            }
        }
        return latencies.sorted()
    }

    static func residentMB(_ pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb / 1024
    }
}

/// Puts `copies` copies of the corpus (distinct names) in a directory; 1 copy links the files.
func materializeCorpus(_ corpus: String, copies: Int, into dir: String) throws -> String {
    let plans = dir + "/plans"
    try FileManager.default.createDirectory(atPath: plans, withIntermediateDirectories: true)
    let files = try FileManager.default.contentsOfDirectory(atPath: corpus).filter { $0.hasSuffix(".txt") }
    for copy in 0..<copies {
        let target = copies == 1 ? plans : plans + "/copy\(copy)"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        for f in files {
            var data = try Data(contentsOf: URL(fileURLWithPath: corpus + "/" + f))
            if copy > 0 { data.append(Data("\n 999.\(copy) 副本 \(copy)。\n".utf8)) }
            try data.write(to: URL(fileURLWithPath: target + "/" + f))
        }
    }
    return plans
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
}

/// `plansearch-bench query`: latency over the socket (one client), throughput and p99 with eight
/// concurrent clients, start-up time and memory, for PlanSearch and for the n-gram baseline
/// daemon over the same corpus, in the same run.
struct QueryBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query", abstract: "Query latency and throughput over the socket; start-up time and memory.")

    @Option(help: "The corpus directory.") var corpus = BenchSupport.defaultCorpus
    @Option(help: "Copies of the corpus (20 for the large figure).") var copies = 1
    @Option(help: "The judged queries (their query strings are the workload).")
    var queries = BenchSupport.root + "/Tests/Relevance/queries.json"
    @Option(help: "Rounds over the queries for the one-client figure.") var rounds = 20
    @Option(help: "Seconds of the eight-client run.") var seconds = 5.0
    @Flag(help: "Print one JSON object.") var json = false

    struct Figures: Encodable {
        var p50_ms: Double, p99_ms: Double
        var clients8_qps: Double, clients8_p99_ms: Double
        var start_ms: Double, resident_mb: Double
    }
    struct Report: Encodable {
        var copies: Int, queries: Int
        var ours: Figures, baseline: Figures
        var p50_ratio: Double, qps_ratio: Double
    }

    func run() throws {
        struct Q: Decodable { var query: String }
        struct F: Decodable { var queries: [Q] }
        let workload = (try? JSONDecoder().decode(F.self, from: Data(contentsOf: URL(fileURLWithPath: queries))).queries.map(\.query))
            ?? ["妇女", "国贸中心 妇女", "\"可持续发展目标\"", "COVID-19", "A/75/6", "最不发达国家 出口", "国際貿易中心", "电子商务"]
        let dir = BenchSupport.temporaryDirectory("query")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plans = try materializeCorpus(corpus, copies: copies, into: dir)
        let requests = try RealDaemon.requestLines(workload)
        var figures: [String: Figures] = [:]
        for analyzer in ["plansearch", "xapian-ngram"] {
            let db = dir + "/db-" + analyzer
            try RealDaemon.run(["index", "--db", db, "--analyzer", analyzer, plans])
            let socket = dir + "/\(analyzer).sock"
            let (process, startup) = try RealDaemon.start(db: db, socket: socket, analyzer: analyzer)
            defer { process.terminate(); process.waitUntilExit() }
            let latencies = try RealDaemon.latencies(try DaemonClient(socketPath: socket), requests, rounds: rounds)
            // Eight clients, each on its own thread and connection, for `seconds`.
            let until = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            let all = LatencyCollector()
            let group = DispatchGroup()
            for c in 0..<8 {
                group.enter()
                let thread = Thread {
                    defer { group.leave() }
                    let client: DaemonClient
                    do { client = try DaemonClient(socketPath: socket) } catch { return all.fail("client \(c) could not connect: \(error)") }
                    var mine: [Double] = []
                    var i = c
                    while ContinuousClock.now < until {
                        let t = ContinuousClock.now
                        let request = requests[i % requests.count]
                        let shown = String(decoding: request.dropLast(), as: UTF8.self)  // without its newline
                        let answer: [UInt8]
                        do { answer = try client.exchange(request) } catch {
                            return all.fail("client \(c), after \(mine.count) answers, \(shown): \(error)")
                        }
                        guard RealDaemon.isResult(answer) else {
                            return all.fail("client \(c), \(shown): \(String(decoding: answer.prefix(300), as: UTF8.self))")
                        }
                        mine.append(Indexer.seconds(ContinuousClock.now - t) * 1000)
                        i += 1
                    }
                    all.add(mine)
                }
                thread.start()
            }
            group.wait()
            if let why = all.firstFailure {
                // A daemon that died fails every client at once: say so, with its log's end,
                // rather than blame the request one client happened to be sending.
                usleep(200_000)  // a moment for its exit to be seen
                if !process.isRunning {
                    let log = (try? String(contentsOfFile: socket + ".log", encoding: .utf8)) ?? ""
                    throw BenchFailure("\(analyzer): the daemon exited (\(process.terminationReason == .uncaughtSignal ? "signal" : "status") \(process.terminationStatus)) during the eight-client run; its log ends:\n\(log.split(separator: "\n").suffix(20).joined(separator: "\n"))")
                }
                throw BenchFailure("\(analyzer): an eight-client search failed: \(why)")
            }
            let merged = all.sorted()
            figures[analyzer] = Figures(p50_ms: percentile(latencies, 0.5), p99_ms: percentile(latencies, 0.99),
                                        clients8_qps: Double(merged.count) / seconds, clients8_p99_ms: percentile(merged, 0.99),
                                        start_ms: startup * 1000, resident_mb: RealDaemon.residentMB(process.processIdentifier))
        }
        guard let o = figures["plansearch"], let b = figures["xapian-ngram"] else { return }
        let report = Report(copies: copies, queries: workload.count, ours: o, baseline: b,
                            p50_ratio: b.p50_ms / max(o.p50_ms, 1e-9), qps_ratio: o.clients8_qps / max(b.clients8_qps, 1e-9))
        if json { try BenchSupport.printJSON(report); return }
        print("corpus x\(copies), \(workload.count) queries")
        for (name, f) in [("ours", o), ("xapian n-gram", b)] {
            print(String(format: "%-14@ p50 %.2f ms  p99 %.2f ms | 8 clients %.0f q/s, p99 %.2f ms | start %.0f ms, RSS %.0f MB",
                         name as NSString, f.p50_ms, f.p99_ms, f.clients8_qps, f.clients8_p99_ms, f.start_ms, f.resident_mb))
        }
    }
}

/// `plansearch-bench reindex`: a no-change reindex of the corpus, and the time from changing one
/// file to its new text being searchable, through the daemon.
struct ReindexBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reindex", abstract: "No-change reindex, and one changed file until searchable.")

    @Option(help: "The corpus directory.") var corpus = BenchSupport.defaultCorpus
    @Option(help: "Runs; medians are reported.") var runs = 5
    @Flag(help: "Print one JSON object.") var json = false

    struct Report: Encodable {
        var no_change_ms: Double
        var one_file_until_searchable_ms: Double
        var full_build_ms: Double
    }

    func run() throws {
        let dir = BenchSupport.temporaryDirectory("reindex")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plans = try materializeCorpus(corpus, copies: 1, into: dir)
        let t0 = Date()
        try RealDaemon.run(["index", "--db", dir + "/db", plans])
        let full = Date().timeIntervalSince(t0) * 1000
        let socket = dir + "/s.sock"
        let (process, _) = try RealDaemon.start(db: dir + "/db", socket: socket, analyzer: "plansearch", extra: [plans])
        defer { process.terminate(); process.waitUntilExit() }
        let client = try DaemonClient(socketPath: socket)
        var noChange: [Double] = [], oneFile: [Double] = []
        let file = plans + "/itc-programme-plan-2021.txt"
        let original = try Data(contentsOf: URL(fileURLWithPath: file))
        for run in 0..<runs {
            let t = Date()
            _ = try client.call(method: "reindex")
            noChange.append(Date().timeIntervalSince(t) * 1000)
            var changed = original
            let marker = "标记词\(["甲", "乙", "丙", "丁", "戊", "己", "庚"][run % 7])"
            changed.append(Data("\n 13.99 新增段落\(marker)。\n".utf8))
            try changed.write(to: URL(fileURLWithPath: file))
            let t2 = Date()
            _ = try client.call(method: "reindex", params: ["paths": [file]])
            while true {
                let r = try client.call("search", params: ["query": "\"\(marker)\""], as: PlanProtocolSearchResult.self)
                if !r.hits.isEmpty { break }
            }
            oneFile.append(Date().timeIntervalSince(t2) * 1000)
        }
        try original.write(to: URL(fileURLWithPath: file))
        noChange.sort(); oneFile.sort()
        let report = Report(no_change_ms: percentile(noChange, 0.5), one_file_until_searchable_ms: percentile(oneFile, 0.5),
                            full_build_ms: full)
        if json { try BenchSupport.printJSON(report); return }
        print(String(format: "full build %.0f ms; no-change reindex %.1f ms; one changed file searchable after %.0f ms (medians of %d)",
                     full, report.no_change_ms, report.one_file_until_searchable_ms, runs))
    }
}

/// Latencies from several client threads.
final class LatencyCollector: Sendable {
    private let values = Mutex<[Double]>([])
    private let failures = Mutex<[String]>([])
    func add(_ more: [Double]) { values.withLock { $0 += more } }
    func sorted() -> [Double] { values.withLock { $0.sorted() } }
    /// Records why a client stopped (the run then fails, saying the first reason).
    func fail(_ why: String) { failures.withLock { $0.append(why) } }
    var firstFailure: String? { failures.withLock { $0.first } }
}

/// A run that failed for a reason other than its arguments (no usage text with it).
struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
