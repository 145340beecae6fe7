import Foundation
import Glibc
import Testing

/// A real `plansearch serve` on a temporary socket, and raw socket clients to talk to it.
final class DaemonHarness {
    let dir: TempDir
    let socket: String
    let db: String
    let plans: String
    let running: Binary.Running
    private(set) var log = ""

    /// Starts the daemon over a few short plans (or `plans` given) and waits until it answers.
    /// With `shards`, the plans are first indexed into that many shards (`plansearch index --shards`).
    /// `extraPlans` (file name: text) are written beside the few short plans.
    init(extraArguments: [String] = [], plans given: String? = nil, shards: Int? = nil, extraPlans: [String: String] = [:]) throws {
        dir = try TempDir()
        socket = dir.path + "/s.sock"
        db = dir.path + "/db"
        if let given {
            plans = given
        } else {
            plans = dir.path + "/plans"
            try FileManager.default.createDirectory(atPath: plans, withIntermediateDirectories: true)
            try Data("""
              次级方案 6 \n\n贸易促进和出口发展的业务方面 \n\n  战略 \n\n 13.5 国际贸易中心(国贸中心)协助妇女进入市场，投资、增值对于可持续发展必不可 \n\n少。 \n\n\
             13.6 电子商务和青年企业家。 \n
            """.utf8).write(to: URL(fileURLWithPath: plans + "/itc.txt"))
            try Data(" 1.1 大会和会议管理部的任务。妇女参与。 \n".utf8).write(to: URL(fileURLWithPath: plans + "/un.txt"))
            for (name, text) in extraPlans { try Data(text.utf8).write(to: URL(fileURLWithPath: plans + "/" + name)) }
        }
        if let shards {
            let indexed = try Binary.run(["index", "--db", db, "--shards", "\(shards)", plans])
            guard indexed.status == 0 else { throw HarnessError("index --shards failed: \(indexed.stderr)") }
        }
        running = try Binary.start(["serve", "--db", db, "--socket", socket, "--log-level", "debug"] + extraArguments + [plans])
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let client = try? RawClient(socket), (try? client.request(#"{"id":0,"method":"ping"}"#)) != nil { return }
            if !running.process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw HarnessError("daemon did not start: \(stopAndCollectLog())")
    }

    /// SIGTERM, wait, and return what it logged.
    @discardableResult
    func stopAndCollectLog() -> String {
        if running.process.isRunning {
            kill(running.process.processIdentifier, SIGTERM)
            running.process.waitUntilExit()
        }
        log = String(decoding: running.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return log
    }

    deinit {
        if running.process.isRunning {
            kill(running.process.processIdentifier, SIGKILL)
            running.process.waitUntilExit()
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A Unix-socket client that writes raw bytes, so tests can send what no well-behaved client would.
final class RawClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(_ path: String) throws {
        // `self.fd` is set only once connected: a throwing init of a fully initialised object
        // also runs deinit, and closing twice can close another test's file (seen as EBADF).
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let r = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if r != 0 {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw HarnessError("connect: \(reason)")
        }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        self.fd = fd
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { throw HarnessError("send failed") }
            sent += n
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func halfClose() { shutdown(fd, Int32(SHUT_WR)) }

    /// The next response line as a JSON object; nil at end of stream.
    func readResponse() throws -> [String: Any]? {
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                let line = Array(buffer[..<nl])
                buffer.removeSubrange(...nl)
                guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                    throw HarnessError("not an object: \(String(decoding: line, as: UTF8.self))")
                }
                return object
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n == 0 { return nil }
            if n < 0 { throw HarnessError("recv: \(String(cString: strerror(errno)))") }
            buffer += chunk[..<n]
        }
    }

    func request(_ line: String) throws -> [String: Any] {
        try send(line + "\n")
        guard let r = try readResponse() else { throw HarnessError("connection closed") }
        return r
    }
}

extension Dictionary where Key == String, Value == Any {
    var errorCode: String? { (self["error"] as? [String: Any])?["code"] as? String }
    var errorMessage: String? { (self["error"] as? [String: Any])?["message"] as? String }
    var result: [String: Any]? { self["result"] as? [String: Any] }
    var hits: [[String: Any]] { (result?["hits"] as? [[String: Any]]) ?? [] }
}
