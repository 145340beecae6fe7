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
        /// Open connections, whether each is in the middle of a request, and when each was
        /// opened or last finished one.
        var connections: [ObjectIdentifier: Connection] = [:]
    }

    private struct Connection {
        var channel: Channel
        var busy = false
        var since = ContinuousClock.now
        /// Picked to make way for a newcomer; its own event loop decides (see `evictIdle`).
        var reserved = false
        /// Refused, or made way: closing, and no longer counted against the limit.
        var leaving = false
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
            .bind(unixDomainSocketPath: path) { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    // A line longer than the limit is an error, not a buffer that grows forever.
                    let activity = ConnectionActivity()
                    try channel.pipeline.syncOperations.addHandlers([
                        ActivityMarker(activity),
                        ByteToMessageHandler(LineBasedFrameDecoder(), maximumBufferSize: maxLine),
                        ConnectionHandler(daemon: self, activity: activity),
                    ])
                    return channel
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
                    // Each connection is answered by its handler; the group waits for all of
                    // them to close before the readers and writers are closed.
                    for try await connection in inbound {
                        group.addTask { try? await connection.closeFuture.get() }
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

    fileprivate var shuttingDown: Bool { state.withLock { $0.shuttingDown } }

    fileprivate func setBusy(_ channel: Channel, _ busy: Bool) {
        let now = ContinuousClock.now
        state.withLock { s in
            s.connections[ObjectIdentifier(channel)]?.busy = busy
            if !busy { s.connections[ObjectIdentifier(channel)]?.since = now }
        }
    }

    /// A connection opened: counted and listed (in step with `closed`, which its channel's
    /// end always calls).
    fileprivate func opened(_ channel: Channel) {
        _ = router.stats.connections(adding: 1)
        state.withLock { $0.connections[ObjectIdentifier(channel)] = Connection(channel: channel) }
    }

    /// Why a connection is refused, if it is (it is then marked leaving). Counted now, not
    /// when it opened, and without the connections already on their way out. One over the
    /// limit gets in when a connection idle long enough can be closed in its place.
    fileprivate func refusal(_ channel: Channel, peerIsOwner: Bool) -> ProtocolError? {
        let key = ObjectIdentifier(channel)
        let refusal: ProtocolError?
        if !peerIsOwner {
            refusal = ProtocolError(.invalidRequest, "only the daemon's owner may connect")
        } else {
            let open = state.withLock { $0.connections.values.filter { !$0.leaving }.count }
            refusal = open > configuration.maxConnections && !evictIdle(toAdmit: channel)
                ? ProtocolError(.overloaded, "too many connections (\(configuration.maxConnections)); try again later") : nil
        }
        if refusal != nil { state.withLock { $0.connections[key]?.leaving = true } }
        return refusal
    }

    /// Picks the connection idle longest, if idle at least `evictIdleAfter` by the daemon's
    /// books, and asks its own event loop to close it, which does so only if it is still idle
    /// there: no line waiting or being answered, no byte of a next line read since the
    /// cutoff. Whether one was picked; the newcomer is let in either way (so the limit may be
    /// passed by one for a moment, when the pick turns out busy).
    private func evictIdle(toAdmit channel: Channel) -> Bool {
        guard let after = configuration.evictIdleAfter else { return false }
        let admitted = ObjectIdentifier(channel)
        let cutoff = ContinuousClock.now - after
        let picked = state.withLock { s -> (ObjectIdentifier, Channel)? in
            guard let oldest = s.connections
                .filter({ $0.key != admitted && !$0.value.busy && !$0.value.reserved && !$0.value.leaving && $0.value.since <= cutoff })
                .min(by: { $0.value.since < $1.value.since }) else { return nil }
            // So that a second newcomer does not pick it too.
            s.connections[oldest.key]?.reserved = true
            return (oldest.key, oldest.value.channel)
        }
        guard let (key, victim) = picked else { return false }
        victim.eventLoop.execute { [self] in
            let closed = (try? victim.pipeline.syncOperations.context(handlerType: ConnectionHandler.self)).map { context in
                (context.handler as? ConnectionHandler)?.closeIfIdle(since: cutoff, context) ?? false
            } ?? false
            state.withLock { s in
                s.connections[key]?.reserved = false
                if closed { s.connections[key]?.leaving = true }
            }
            if closed {
                logger.info("closed an idle connection to let a new one in", metadata: ["max_connections": "\(configuration.maxConnections)"])
            }
        }
        return true
    }

    fileprivate func closed(_ channel: Channel) {
        _ = router.stats.connections(adding: -1)
        _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// SO_PEERCRED: only the user the daemon runs as may talk to it (the socket's 0600 mode
    /// says the same; this also covers a socket directory someone else can enter).
    /// On the channel's event loop, where the option is read at once.
    fileprivate func peerIsOwner(_ channel: Channel, _ answer: @escaping @Sendable (Bool) -> Void) {
        guard let provider = channel as? SocketOptionProvider else { return answer(true) }
        let asked: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        asked.whenComplete { [logger] result in
            switch result {
            case let .success(credentials): answer(credentials.uid == getuid())
            case let .failure(error):
                logger.warning("cannot read peer credentials", metadata: ["error": "\(error)"])
                answer(false)
            }
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

/// One connection: its request lines are answered in order, each answer written whole before
/// the next line is answered (pipelining is several lines in one write); a client that
/// half-closes still gets every answer. Runs on the channel's event loop; the router answers
/// a line on another thread and the answer comes back here to be written. (This replaced an
/// async loop over the channel: a search then crossed five threads' hand-offs, request to
/// task to reader to task to event loop and back, which cost tens of microseconds each.)
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Lines waiting beyond this stop the reading of more (a client that pipelines without
    /// reading its answers must not fill the daemon's memory), until the queue drains.
    static let readAheadLines = 16

    private enum Item {
        case line([UInt8])
        /// The line after the ones before it was over the limit: answered, then the end.
        case tooLarge
    }

    private let daemon: Daemon
    private let activity: ConnectionActivity
    private var waiting = CircularBuffer<Item>()
    /// Set while the router answers a line and the answer is written.
    private var answering = false
    /// Set until the peer is checked, and for a refused connection.
    private var holding = true
    private var inputEnded = false
    /// No more lines are answered: the connection is closing.
    private var ending = false
    /// A read was held back while too many lines waited.
    private var readHeld = false

    init(daemon: Daemon, activity: ConnectionActivity) {
        self.daemon = daemon
        self.activity = activity
    }

    /// Ends the connection if nothing has happened on it since `cutoff`: no line waiting or
    /// being answered, no byte read (part of a next line counts). Its client reads the end of
    /// the stream; whether it was ended.
    func closeIfIdle(since cutoff: ContinuousClock.Instant, _ context: ChannelHandlerContext) -> Bool {
        guard !ending, !holding, !answering, waiting.isEmpty, activity.last <= cutoff else { return false }
        ending = true
        closeAfterDraining(context)
        return true
    }

    func channelActive(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let channel = context.channel
        daemon.opened(channel)
        daemon.peerIsOwner(channel) { [daemon] owner in
            bound.eventLoop.execute {
                let (handler, context) = bound.value
                if let refusal = daemon.refusal(channel, peerIsOwner: owner) {
                    handler.ending = true
                    handler.waiting.removeAll()
                    handler.write(Response.error(id: .null, refusal), context) { handler.closeAfterDraining(context) }
                } else {
                    handler.holding = false
                    handler.answerNext(context)
                }
            }
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        daemon.closed(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !ending else { return }
        var line = unwrapInboundIn(data)
        // The decoder's limit is on its buffer, checked after each read: a line a little over
        // the limit could arrive whole within one read.
        if line.readableBytes > PlanProtocol.maxLineBytes { return refuseRest(context) }
        let bytes = line.readBytes(length: line.readableBytes) ?? []
        if Self.isBlank(bytes) { return }
        waiting.append(.line(bytes))
        answerNext(context)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Closing: the answers still due are written first. (After a line over the limit, the
        // decoder reports each later read of that line as an error too.)
        guard !ending else { return }
        switch error {
        case is ByteToMessageDecoderError.PayloadTooLargeError:
            refuseRest(context)
        case let error as NIOExtrasErrors.LeftOverBytesError:
            // The client closed its side after a last line without its newline: that line is
            // answered too, after the ones before it.
            let bytes: [UInt8] = Array(error.leftOverBytes.readableBytesView)
            if !Self.isBlank(bytes) { waiting.append(.line(bytes)) }
            inputEnded = true
            answerNext(context)
        default:
            daemon.logger.debug("connection ended", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    /// A line of spaces, tabs and carriage returns is skipped, not answered.
    private static func isBlank(_ bytes: [UInt8]) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }

    func read(context: ChannelHandlerContext) {
        if waiting.count >= Self.readAheadLines {
            readHeld = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputEnded = true
            answerNext(context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// A line over the limit: the lines before it are answered, then it, then the connection ends.
    private func refuseRest(_ context: ChannelHandlerContext) {
        guard !ending else { return }
        ending = true
        waiting.append(.tooLarge)
        answerNext(context)
    }

    /// Answers the oldest waiting line, unless one is being answered; closes a connection
    /// whose client has finished and has every answer.
    private func answerNext(_ context: ChannelHandlerContext) {
        guard !answering, !holding else { return }
        guard let item = waiting.popFirst() else {
            if inputEnded { context.close(promise: nil) }
            return
        }
        if readHeld, waiting.count < Self.readAheadLines {
            readHeld = false
            context.read()
        }
        let channel = context.channel
        switch item {
        case .tooLarge:
            answering = true
            let error = ProtocolError(.tooLarge, "request line over \(PlanProtocol.maxLineBytes) bytes; closing the connection")
            write(Response.error(id: .null, error), context) { self.closeAfterDraining(context) }
        case let .line(bytes):
            answering = true
            daemon.setBusy(channel, true)
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            daemon.router.respond(to: bytes) { answer in
                bound.eventLoop.execute {
                    let (handler, context) = bound.value
                    handler.write(answer, context) {
                        handler.activity.last = .now
                        handler.answering = false
                        handler.daemon.setBusy(channel, false)
                        if handler.daemon.shuttingDown {
                            handler.ending = true
                            context.close(promise: nil)
                        } else {
                            handler.answerNext(context)
                        }
                    }
                }
            }
        }
    }

    /// Ends a connection whose last answer is a refusal. Closing with the client's request
    /// unread would make the kernel reset the connection, and the client would get EPIPE or
    /// ECONNRESET instead of reading the answer: end our side, read and drop the input
    /// briefly, then close.
    private func closeAfterDraining(_ context: ChannelHandlerContext) {
        let channel = context.channel
        context.close(mode: .output, promise: nil)
        context.eventLoop.scheduleTask(in: .milliseconds(300)) { channel.close(promise: nil) }
    }

    /// Writes one answer; `then` runs once it has been handed to the socket whole (not when
    /// the write fails: the connection is closed then).
    private func write(_ bytes: [UInt8], _ context: ChannelHandlerContext, then: @escaping () -> Void) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes))).assumeIsolated().whenComplete { result in
            switch result {
            case .success: then()
            case let .failure(error):
                self.daemon.logger.debug("connection ended", metadata: ["error": "\(error)"])
                context.close(promise: nil)
            }
        }
    }
}

/// When a connection last read a byte or finished an answer: shared by its two handlers on
/// its event loop (never across threads).
final class ConnectionActivity {
    var last = ContinuousClock.now
}

/// Notes every read before the line decoder, which hides a line until it is whole: a client
/// partway through sending a request is not idle.
final class ActivityMarker: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private let activity: ConnectionActivity

    init(_ activity: ConnectionActivity) { self.activity = activity }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        activity.last = .now
        context.fireChannelRead(data)
    }
}
