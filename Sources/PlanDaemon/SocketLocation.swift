import Foundation
import Glibc

/// Where the socket lives and how it is claimed: a private directory (0700), a socket only its
/// owner can open (0600), a stale file from a crashed daemon replaced, a live daemon respected.
public enum SocketLocation {
    /// `$PLANSEARCH_SOCKET` when set (the daemon, the command line and the editor clients all
    /// read it: a cron job, which has no runtime directory, can name the login session's socket),
    /// else `$XDG_RUNTIME_DIR/plansearch/plansearch.sock`, else under the user's cache directory.
    public static func defaultPath() -> String {
        let env = ProcessInfo.processInfo.environment
        if let chosen = env["PLANSEARCH_SOCKET"], !chosen.isEmpty { return chosen }
        if let runtime = env["XDG_RUNTIME_DIR"], !runtime.isEmpty {
            return runtime + "/plansearch/plansearch.sock"
        }
        let cache = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return cache + "/plansearch/plansearch.sock"
    }

    /// Makes the directory (0700) and removes a stale socket. Throws when a daemon answers on
    /// the path, when something that is not a socket is in the way, or when the path is too long.
    public static func prepare(_ path: String) throws {
        guard path.utf8.count < 104 else {
            throw DaemonError("the socket path is \(path.utf8.count) bytes long; Unix sockets allow 103: choose a shorter --socket")
        }
        // A bare name (--socket s.sock) is in the working directory, which exists: asking
        // FileManager to make "" failed with "The file doesn't exist".
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }  // nothing there
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw DaemonError("\(path) exists and is not a socket; not touching it")
        }
        if isLive(path) {
            throw DaemonError("a PlanSearch daemon is already running on \(path) (stop it first, or use another --socket)")
        }
        // Nobody answers: left behind by a daemon that crashed.
        unlink(path)
    }

    /// Whether something accepts connections on the socket at `path`.
    public static func isLive(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (i, b) in bytes.enumerated() { buffer[i] = b }
            buffer[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }
}
