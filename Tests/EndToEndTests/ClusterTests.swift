import Foundation
import Glibc
import Testing

/// A free TCP port on loopback.
func freeLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// xapian-tcpsrv on loopback over one shard. It forks a child per connection and its parent
/// waits for them on SIGTERM, so stopping it SIGKILLs the whole family.
final class TcpServer {
    let process = Process()
    let port: Int

    init(database: String, port: Int) throws {
        self.port = port
        process.executableURL = URL(fileURLWithPath: "/usr/bin/xapian-tcpsrv")
        process.arguments = ["--interface", "127.0.0.1", "--port", "\(port)", database]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Ready when it accepts a connection.
        for _ in 0..<100 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_addr.s_addr = inet_addr("127.0.0.1")
            a.sin_port = UInt16(port).bigEndian
            let ok = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
            close(fd)
            if ok { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    func stop() {
        let pid = process.processIdentifier
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let child = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8) else { continue }
            let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
            if fields.count > 1, Int32(fields[1]) == pid { kill(child, SIGKILL) }
        }
        kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    deinit { if process.isRunning { stop() } }
}

@Suite("A cluster of remote shards", .serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/xapian-tcpsrv")))
struct ClusterTests {
    @Test("search through two xapian-tcpsrv shards; one down gives a partial answer; back up, a full one")
    func partialAndRecovery() throws {
        let dir = try TempDir()
        let plans = dir.path + "/plans"
        try FileManager.default.createDirectory(atPath: plans, withIntermediateDirectories: true)
        // Enough documents that both shards hold some.
        for i in 0..<8 {
            try Data(" \(i + 1).1 国际贸易中心协助妇女进入市场，文件\(i)。 \n".utf8).write(to: URL(fileURLWithPath: "\(plans)/plan-\(i).txt"))
        }
        let db = dir.path + "/db"
        let indexed = try Binary.run(["index", "--db", db, "--shards", "2", "--json", plans])
        #expect(indexed.status == 0, "\(indexed.stderr)")

        let ports = [freeLoopbackPort(), freeLoopbackPort()]
        var servers = [try TcpServer(database: db + "/shard-0", port: ports[0]), try TcpServer(database: db + "/shard-1", port: ports[1])]
        defer { servers.forEach { $0.stop() } }
        let cluster = dir.path + "/cluster.json"
        try Data("""
        {"shards": [{"remote": "127.0.0.1:\(ports[0])", "timeout_ms": 500},
                    {"remote": "127.0.0.1:\(ports[1])", "timeout_ms": 500}],
         "retry_seconds": 0.3}
        """.utf8).write(to: URL(fileURLWithPath: cluster))

        let socket = dir.path + "/s.sock"
        let daemon = try Binary.start(["serve", "--cluster", cluster, "--socket", socket])
        defer { if daemon.process.isRunning { kill(daemon.process.processIdentifier, SIGTERM); daemon.process.waitUntilExit() } }
        var client: RawClient?
        for _ in 0..<200 where client == nil {
            client = try? RawClient(socket)
            if client == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        let c = try #require(client)
        let search = #"{"id":1,"method":"search","params":{"query":"妇女","limit":20}}"#

        let full = try c.request(search)
        #expect(full.hits.count == 8)
        #expect(full.result?["partial"] == nil)

        servers[1].stop()
        let started = Date()
        let partial = try c.request(search)
        #expect(Date().timeIntervalSince(started) < 5, "a dead shard must not hang the search")
        #expect(partial.result?["partial"] as? Bool == true)
        #expect(partial.result?["missing_shards"] as? [String] == ["127.0.0.1:\(ports[1])"])
        #expect(partial.hits.count > 0 && partial.hits.count < 8)
        // The command line says so too, not only the JSON.
        let text = try Binary.run(["search", "--socket", socket, "妇女"])
        #expect(text.stdout.contains("; some shards did not answer: 127.0.0.1:\(ports[1])"), "\(text.stdout.suffix(300))")

        servers[1] = try TcpServer(database: db + "/shard-1", port: ports[1])
        Thread.sleep(forTimeInterval: 0.5)
        let back = try c.request(search)
        #expect(back.hits.count == 8)
        #expect(back.result?["partial"] == nil)

        let reindex = try c.request(#"{"id":2,"method":"reindex"}"#)
        #expect(reindex.errorCode == "invalid_request")
    }
}
