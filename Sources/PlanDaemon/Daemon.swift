import Foundation
import Glibc
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import PlanIndex
import PlanProtocol
import Synchronization

/// The daemon: accepts connections on a Unix socket and answers line-delimited JSON requests
/// through a ``Router``. Each connection's requests are answered in order (pipelining is just
/// several lines in one write); a client that half-closes still gets every answer.
public final class Daemon: Sendable {
    let configuration: DaemonConfiguration
    public let router: Router
    let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var shuttingDown = false
        var server: Channel?
        /// Open connections and whether each is in the middle of a request.
        var connections: [ObjectIdentifier: (channel: Channel, busy: Bool)] = [:]
    }

    public init(configuration: DaemonConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        router = try Router(configuration: configuration, logger: logger)
    }

    /// Serves until ``requestShutdown()``; then finishes in-flight requests, closes the index
    /// and removes the socket file.
    public func run(onListening: @Sendable () -> Void = {}) async throws {
        let path = configuration.socketPath
        let maxLine = PlanProtocol.maxLineBytes
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(unixDomainSocketPath: path) { channel in
                channel.eventLoop.makeCompletedFuture {
                    // A line longer than the limit is an error, not a buffer that grows forever.
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineBasedFrameDecoder(), maximumBufferSize: maxLine))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        chmod(path, 0o600)
        let alreadyStopping = state.withLock { s in
            s.server = server.channel
            return s.shuttingDown
        }
        if alreadyStopping { try? await server.channel.close() }
        logger.info("listening", metadata: ["socket": "\(path)", "db": "\(configuration.databasePath)"])
        onListening()

        await withDiscardingTaskGroup { group in
            do {
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await self.serve(connection) }
                    }
                }
            } catch {
                logger.error("accept loop ended", metadata: ["error": "\(error)"])
            }
        }
        await router.shutdown()
        unlink(path)
        logger.info("stopped")
    }

    private let watcher = Mutex<Watcher?>(nil)

    /// Reindexes the roots whenever files under them change (debounced), until shutdown.
    public func watchRoots() throws {
        let roots = configuration.roots
        guard !roots.isEmpty else { throw DaemonError("--watch needs paths to watch") }
        let router = self.router
        let logger = self.logger
        let w = try Watcher(roots: roots, ignoring: configuration.databasePath, logger: logger) {
            do {
                _ = try await router.reindex(paths: nil)
            } catch {
                logger.error("reindex after a change failed", metadata: ["error": "\(error)"])
            }
        }
        watcher.withLock { $0 = w }
        w.start()
    }

    /// Stops accepting, lets busy connections finish their request, closes idle ones.
    public func requestShutdown() {
        watcher.withLock { $0?.stop() }
        let (server, idle) = state.withLock { s -> (Channel?, [Channel]) in
            s.shuttingDown = true
            return (s.server, s.connections.values.filter { !$0.busy }.map(\.channel))
        }
        logger.info("shutting down", metadata: ["idle_connections": "\(idle.count)"])
        server?.close(promise: nil)
        for channel in idle { channel.close(promise: nil) }
        // A busy connection finishes its request, but a client that stops reading would hold
        // its answer's write, and the daemon, forever: after a grace period, close them all.
        let grace = Self.shutdownGrace
        Task { [self] in
            try? await Task.sleep(for: grace)
            let left = state.withLock { $0.connections.values.map(\.channel) }
            if !left.isEmpty { logger.warning("closing connections still busy after the grace period", metadata: ["connections": "\(left.count)"]) }
            for channel in left { channel.close(promise: nil) }
        }
    }

    /// How long busy connections get to finish when the daemon is asked to stop.
    static let shutdownGrace = Duration.seconds(5)

    private var shuttingDown: Bool { state.withLock { $0.shuttingDown } }

    private func setBusy(_ channel: Channel, _ busy: Bool) {
        _ = state.withLock { s in s.connections[ObjectIdentifier(channel)]?.busy = busy }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let channel = connection.channel
        let maxLine = PlanProtocol.maxLineBytes
        let id = ObjectIdentifier(channel)
        let open = router.stats.connections(adding: 1)
        state.withLock { $0.connections[id] = (channel, false) }
        defer {
            _ = router.stats.connections(adding: -1)
            _ = state.withLock { $0.connections.removeValue(forKey: id) }
        }
        let refusal: ProtocolError?
        if !(await peerIsOwner(channel)) {
            refusal = ProtocolError(.invalidRequest, "only the daemon's owner may connect")
        } else if open > configuration.maxConnections {
            refusal = ProtocolError(.overloaded, "too many connections (\(configuration.maxConnections)); try again later")
        } else {
            refusal = nil
        }
        do {
            try await connection.executeThenClose { inbound, _ in
                if let refusal {
                    try await Self.send(Response.error(id: .null, refusal), on: channel)
                    return
                }
                do {
                    for try await var line in inbound {
                        // The decoder's limit is on its buffer, checked after each read: a line a
                        // little over the limit could arrive whole within one read.
                        if line.readableBytes > maxLine { throw ByteToMessageDecoderError.PayloadTooLargeError() }
                        let bytes = line.readBytes(length: line.readableBytes) ?? []
                        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                        setBusy(channel, true)
                        let response = await router.respond(to: bytes)
                        try await Self.send(response, on: channel)
                        setBusy(channel, false)
                        if shuttingDown { break }
                    }
                } catch is ByteToMessageDecoderError.PayloadTooLargeError {
                    let error = ProtocolError(.tooLarge, "request line over \(PlanProtocol.maxLineBytes) bytes; closing the connection")
                    try? await Self.send(Response.error(id: .null, error), on: channel)
                    // Closing with the rest of the client's line unread would send a reset that
                    // can destroy the reply in flight: end our side, let the input drain briefly.
                    try? await channel.close(mode: .output)
                    try? await Task.sleep(for: .milliseconds(300))
                }
            }
        } catch {
            logger.debug("connection ended", metadata: ["error": "\(error)"])
        }
    }

    /// Writes one answer and returns once it has been handed to the socket whole. The async
    /// channel's writer returns as soon as it has queued the bytes, and the channel is closed
    /// when a half-closed client's input ends: whatever was still queued then (an answer larger
    /// than the socket's buffer) was dropped, cutting the answer off mid-line.
    private static func send(_ bytes: [UInt8], on channel: Channel) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// SO_PEERCRED: only the user the daemon runs as may talk to it (the socket's 0600 mode
    /// says the same; this also covers a socket directory someone else can enter).
    private func peerIsOwner(_ channel: Channel) async -> Bool {
        guard let provider = channel as? SocketOptionProvider else { return true }
        do {
            let credentials: PeerCredentials = try await provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)).get()
            return credentials.uid == getuid()
        } catch {
            logger.warning("cannot read peer credentials", metadata: ["error": "\(error)"])
            return false
        }
    }
}

/// Linux's `struct ucred` (pid_t, uid_t, gid_t), which Swift's Glibc module does not export
/// (it sits behind _GNU_SOURCE).
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
