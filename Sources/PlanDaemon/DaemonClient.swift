import Foundation
import Glibc
import PlanProtocol

/// A blocking client for the daemon's socket: what the command-line client and scripts use.
public final class DaemonClient {
    private let fd: Int32
    private var buffer: [UInt8] = []
    /// Where recv writes; kept, not made (and zeroed) for every read.
    private var chunk = [UInt8](repeating: 0, count: 65536)
    private var nextID = 1

    public struct Failure: Error, CustomStringConvertible {
        public var code: String
        public var message: String
        public var description: String { code == "no_daemon" ? message : "\(code): \(message)" }
    }

    /// Connects, or throws a `no_daemon` failure that says how to start one.
    public init(socketPath: String) throws {
        // The socket is ours to close until it connects: `self.fd` is set last, because once
        // every stored property is set a throwing init also runs deinit, which would close the
        // descriptor a second time (by then perhaps another thread's file).
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(code: "no_daemon", message: "cannot create a socket") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw Failure(code: "no_daemon", message: "socket path too long: \(socketPath)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if result != 0 {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Failure(code: "no_daemon", message: "no PlanSearch daemon at \(socketPath) (\(reason)); start one with: plansearch serve --db DIR PLANS...")
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Sends one request and returns the response line decoded (a JSON object).
    public func call(method: String, params: [String: Any] = [:]) throws -> [String: Any] {
        let id = nextID
        nextID += 1
        let request: [String: Any] = ["id": id, "method": method, "params": params]
        var line = [UInt8](try JSONSerialization.data(withJSONObject: request))
        line.append(0x0A)
        let response = try exchange(line)
        guard let object = try JSONSerialization.jsonObject(with: Data(response)) as? [String: Any] else {
            throw Failure(code: "io", message: "the daemon sent something that is not a JSON object")
        }
        if let error = object["error"] as? [String: Any] {
            throw Failure(code: error["code"] as? String ?? "error", message: error["message"] as? String ?? "")
        }
        return object
    }

    /// Sends a request line that is already encoded (ending in a newline) and returns the
    /// response line as it came, undecoded: for a load generator, which shares the machine with
    /// the daemon and should spend its CPU on asking, not on parsing answers.
    public func exchange(_ requestLine: [UInt8]) throws -> [UInt8] {
        // A failed send is not the end: the daemon may have written a refusal (overloaded)
        // before closing, and that answer says more than "closed". Without one, reading fails
        // with the same "closed the connection".
        _ = sendAll(requestLine)
        return try readLine()
    }

    /// Writes the whole line; false when the daemon has closed the connection.
    private func sendAll(_ requestLine: [UInt8]) -> Bool {
        requestLine.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return true }
            var sent = 0
            while sent < raw.count {
                let n = send(fd, base + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if n <= 0 { return false }
                sent += n
            }
            return true
        }
    }

    /// The `result` member of a successful call, decoded.
    public func call<T: Decodable>(_ method: String, params: [String: Any] = [:], as type: T.Type) throws -> T {
        let object = try call(method: method, params: params)
        let data = try JSONSerialization.data(withJSONObject: object["result"] ?? [:])
        return try JSONDecoder().decode(T.self, from: data)
    }

    private func readLine() throws -> [UInt8] {
        // Only the bytes received since the last look can hold the newline.
        var searched = 0
        while true {
            if let newline = buffer[searched...].firstIndex(of: 0x0A) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return line
            }
            searched = buffer.count
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { throw Failure(code: "io", message: "the daemon closed the connection") }
            buffer += chunk[..<n]
        }
    }
}
