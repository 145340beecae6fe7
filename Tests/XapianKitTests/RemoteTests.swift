import Foundation
import Glibc
import Testing
@testable import XapianKit

/// A free TCP port on loopback (bind to port 0 and ask what the kernel chose).
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// SIGKILLs `pid` and its children: xapian-tcpsrv forks a child per connection, and on SIGTERM
/// the parent waits for those children, so a client still connected would keep it alive.
func killTree(_ pid: Int32) { signalTree(pid, SIGKILL) }

/// Sends `signal` to `pid` and its children.
func signalTree(_ pid: Int32, _ signal: Int32) {
    let children = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    for entry in children {
        guard let child = Int32(entry),
              let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8) else { continue }
        // Fields after the command name: state, ppid, ...
        let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
        if fields.count > 1, Int32(fields[1]) == pid { kill(child, signal) }
    }
    kill(pid, signal)
}

let hasTcpsrv = FileManager.default.isExecutableFile(atPath: "/usr/bin/xapian-tcpsrv")

@Suite("Remote databases through xapian-tcpsrv and xapian-progsrv", .enabled(if: hasTcpsrv))
struct RemoteTests {
    /// xapian-tcpsrv serving the fixtures on a free loopback port (kill it with `killTree`), and
    /// a database connected to it once it listens (nil if it never did).
    func served(in directory: TemporaryDirectory, timeout: Duration = .seconds(2)) throws -> (server: Process, port: Int, db: Database?) {
        try writeFixtures(at: directory.database())
        let port = freePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/xapian-tcpsrv")
        server.arguments = ["--interface", "127.0.0.1", "--port", "\(port)", directory.database()]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        var remote: Database?
        for _ in 0..<100 where remote == nil {
            remote = try? Database(remoteHost: "127.0.0.1", port: port, timeout: timeout)
            if remote == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        return (server, port, remote)
    }

    @Test("search a remote shard; a dead server is a network error, not a crash")
    func tcp() throws {
        let directory = try TemporaryDirectory()
        let (server, port, remote) = try served(in: directory)
        defer { if server.isRunning { killTree(server.processIdentifier); server.waitUntilExit() } }
        let db = try #require(remote)
        #expect(Set(ids(try db.search(phrase("贸易中心")))) == ["s1", "s2"])
        killTree(server.processIdentifier)
        server.waitUntilExit()
        let failed = code(of: { _ = try db.search(phrase("妇女")) })
        #expect(failed == .network || failed == .networkTimeout)
        try? db.close()
        #expect(code(of: { _ = try Database(remoteHost: "127.0.0.1", port: port, connectTimeout: .milliseconds(200)) }).map {
            $0 == .network || $0 == .networkTimeout
        } == true)
    }

    @Test("a server that stops answering is a timeout after the time given, not a wait without end")
    func silentServer() throws {
        let directory = try TemporaryDirectory()
        let (server, _, remote) = try served(in: directory, timeout: .milliseconds(300))
        defer { if server.isRunning { killTree(server.processIdentifier); server.waitUntilExit() } }
        let db = try #require(remote)
        #expect(!ids(try db.search(phrase("贸易中心"))).isEmpty)
        // A hung host: the server and the child serving this connection stop, the connection stays.
        signalTree(server.processIdentifier, SIGSTOP)
        defer { signalTree(server.processIdentifier, SIGCONT) }
        let start = Date()
        let failed = code(of: { _ = try db.search(phrase("妇女")) })
        let waited = Date().timeIntervalSince(start)
        #expect(failed == .networkTimeout || failed == .network)
        #expect(waited < 5, "waited \(waited) s for a 300 ms timeout")
        try? db.close()
    }

    @Test("a shard over a pipe with xapian-progsrv")
    func program() throws {
        let directory = try TemporaryDirectory()
        try writeFixtures(at: directory.database())
        let db = try Database(remoteProgram: "/usr/bin/xapian-progsrv", arguments: directory.database())
        defer { try? db.close() }
        #expect(try db.documentCount() == 5)
    }
}
