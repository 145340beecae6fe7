import ArgumentParser
import Foundation
import Glibc
import PlanDaemon
import PlanIndex

/// `plansearch-bench scale`: on corpora N times ../shared/corpus (distinct ids), index build time
/// and query p50/p99 for one local shard, four local shards, and two remote (xapian-tcpsrv on
/// loopback) plus two local shards.
struct ScaleBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale", abstract: "Build time and query latency on 1 shard, 4 shards, 2 remote + 2 local.")

    @Option(help: "The corpus directory.") var corpus = BenchSupport.defaultCorpus
    @Option(help: "Corpus multiples, comma-separated.") var factors = "20,100"
    @Option(help: "Query rounds per configuration.") var rounds = 10
    @Option(help: "The judged queries (their query strings are the workload).")
    var queries = BenchSupport.root + "/Tests/Relevance/queries.json"
    @Flag(help: "Print one JSON object.") var json = false

    struct Row: Encodable {
        var factor: Int
        var setup: String
        var text_mb: Double
        var build_s: Double
        var p50_ms: Double
        var p99_ms: Double
    }

    func run() throws {
        struct Q: Decodable { var query: String }
        struct F: Decodable { var queries: [Q] }
        let workload = (try? JSONDecoder().decode(F.self, from: Data(contentsOf: URL(fileURLWithPath: queries))).queries.map(\.query))
            ?? ["妇女", "国贸中心 妇女", "\"可持续发展目标\"", "COVID-19", "A/75/6", "最不发达国家 出口", "國際貿易中心", "电子商务"]
        var rows: [Row] = []
        for factor in factors.split(separator: ",").compactMap({ Int($0) }) {
            let dir = BenchSupport.temporaryDirectory("scale")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let plans = try materializeCorpus(corpus, copies: factor, into: dir)
            let textMB = Double(try directoryBytes(plans)) / 1e6
            // One shard, and four shards (which also serve the remote setup).
            var t = Date()
            try RealDaemon.run(["index", "--db", dir + "/one", plans])
            let buildOne = Date().timeIntervalSince(t)
            t = Date()
            try RealDaemon.run(["index", "--db", dir + "/four", "--shards", "4", plans])
            let buildFour = Date().timeIntervalSince(t)

            rows.append(Row(factor: factor, setup: "1 local shard", text_mb: textMB, build_s: buildOne,
                            ptiles: try measure(["--db", dir + "/one"], dir: dir, workload: workload)))
            rows.append(Row(factor: factor, setup: "4 local shards", text_mb: textMB, build_s: buildFour,
                            ptiles: try measure(["--db", dir + "/four"], dir: dir, workload: workload)))
            // Two shards behind xapian-tcpsrv on loopback, two local.
            var servers: [Process] = []
            defer { for s in servers { killFamily(s.processIdentifier); s.waitUntilExit() } }
            var entries: [String] = []
            for shard in 0..<4 {
                if shard < 2 {
                    let port = 30000 + Int.random(in: 0..<20000)
                    let s = Process()
                    s.executableURL = URL(fileURLWithPath: "/usr/bin/xapian-tcpsrv")
                    s.arguments = ["--interface", "127.0.0.1", "--port", "\(port)", dir + "/four/shard-\(shard)"]
                    s.standardOutput = FileHandle.nullDevice
                    s.standardError = FileHandle.nullDevice
                    try s.run()
                    servers.append(s)
                    entries.append("{\"remote\": \"127.0.0.1:\(port)\", \"timeout_ms\": 5000}")
                } else {
                    entries.append("{\"path\": \"\(dir)/four/shard-\(shard)\"}")
                }
            }
            usleep(300_000)
            try Data("{\"shards\": [\(entries.joined(separator: ","))]}".utf8).write(to: URL(fileURLWithPath: dir + "/cluster.json"))
            rows.append(Row(factor: factor, setup: "2 remote + 2 local", text_mb: textMB, build_s: buildFour,
                            ptiles: try measure(["--cluster", dir + "/cluster.json"], dir: dir, workload: workload)))
        }
        if json { try BenchSupport.printJSON(rows); return }
        for r in rows {
            print(String(format: "x%-4d %-20@ %7.1f MB text, build %7.1f s, query p50 %6.2f ms, p99 %6.2f ms",
                         r.factor, r.setup as NSString, r.text_mb, r.build_s, r.p50_ms, r.p99_ms))
        }
    }

    func measure(_ source: [String], dir: String, workload: [String]) throws -> (Double, Double) {
        let socket = dir + "/s-\(UUID().uuidString.prefix(8)).sock"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: RealDaemon.binary)
        p.arguments = ["serve", "--socket", socket, "--log-level", "error"] + source
        p.standardError = FileHandle.nullDevice
        var env = ProcessInfo.processInfo.environment
        env["PLANSEARCH_SCHEMAS"] = BenchSupport.root + "/IndexSchemas"
        p.environment = env
        try p.run()
        defer { p.terminate(); p.waitUntilExit() }
        var client: DaemonClient?
        for _ in 0..<3000 where client == nil {
            client = try? DaemonClient(socketPath: socket)
            if client == nil { usleep(10_000) }
        }
        guard let client else { throw ValidationError("the daemon did not start") }
        for q in workload { _ = try? client.call(method: "search", params: ["query": q]) }  // warm up
        let latencies = try RealDaemon.latencies(client, try RealDaemon.requestLines(workload), rounds: rounds)
        return (percentile(latencies, 0.5), percentile(latencies, 0.99))
    }

    func directoryBytes(_ path: String) throws -> Int {
        var total = 0
        if let e = FileManager.default.enumerator(atPath: path) {
            while let f = e.nextObject() as? String {
                total += ((try? FileManager.default.attributesOfItem(atPath: path + "/" + f)[.size]) as? NSNumber)?.intValue ?? 0
            }
        }
        return total
    }

    func killFamily(_ pid: Int32) {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let child = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8) else { continue }
            let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
            if fields.count > 1, Int32(fields[1]) == pid { kill(child, SIGKILL) }
        }
        kill(pid, SIGKILL)
    }
}

extension ScaleBench.Row {
    init(factor: Int, setup: String, text_mb: Double, build_s: Double, ptiles: (Double, Double)) {
        self.init(factor: factor, setup: setup, text_mb: text_mb, build_s: build_s, p50_ms: ptiles.0, p99_ms: ptiles.1)
    }
}
