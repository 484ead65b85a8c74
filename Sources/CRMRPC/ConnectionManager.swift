import CRMWire
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Keeps at most one connection to the server, connecting on first use and again after a loss.
/// Failed attempts back off exponentially; calls that arrive during a backoff wait for its end
/// when their deadline allows, and otherwise fail UNAVAILABLE at once.
final class ConnectionManager: Sendable {
    private enum State {
        case idle
        case connecting(Task<ClientConnection, any Error>)
        case ready(ClientConnection)
        case backingOff(until: ContinuousClock.Instant, lastError: String)
        case closed
    }

    private enum Next {
        case use(ClientConnection)
        case wait(Task<ClientConnection, any Error>)
        case sleep(until: ContinuousClock.Instant, lastError: String)
        case fail(RPCError)
    }

    private let configuration: RPCClientConfiguration
    /// The event loop every connection of this client runs on, chosen once: a caller that runs
    /// on it (`RPCClient.executor`) writes and resumes without a thread hop.
    let loop: any EventLoop
    private let state = NIOLockedValueBox<State>(.idle)
    private let backoff: NIOLockedValueBox<Duration>

    init(configuration: RPCClientConfiguration, group: any EventLoopGroup) {
        self.configuration = configuration
        self.loop = group.next()
        self.backoff = NIOLockedValueBox(configuration.initialBackoff)
    }

    private var target: String { "\(configuration.host):\(configuration.port)" }

    func connection(deadline: ContinuousClock.Instant?, waitForReady: Bool) async throws(RPCError) -> ClientConnection {
        var attempts = 0
        while true {
            let next: Next = state.withLockedValue { state in
                switch state {
                case .ready(let connection) where connection.channel.isActive:
                    return .use(connection)
                case .ready:
                    // Closed, and its close callback has not run yet: replace it now.
                    let task = connect()
                    state = .connecting(task)
                    return .wait(task)
                case .connecting(let task):
                    return .wait(task)
                case .idle:
                    let task = connect()
                    state = .connecting(task)
                    return .wait(task)
                case .backingOff(let until, let lastError):
                    guard ContinuousClock.now >= until else { return .sleep(until: until, lastError: lastError) }
                    let task = connect()
                    state = .connecting(task)
                    return .wait(task)
                case .closed:
                    return .fail(RPCError(.unavailable, "the client is closed"))
                }
            }
            switch next {
            case .use(let connection):
                return connection
            case .fail(let error):
                throw error
            case .wait(let task):
                do {
                    return try await task.value
                } catch {
                    attempts += 1
                    if !waitForReady {
                        throw RPCError(.unavailable, "cannot connect to \(target): \(error)")
                    }
                }
            case .sleep(let until, let lastError):
                let tooLate = deadline.map { until >= $0 } ?? false
                if tooLate || (attempts > 0 && !waitForReady) {
                    throw RPCError(.unavailable, "cannot connect to \(target): \(lastError)")
                }
                do {
                    try await Task.sleep(until: until, clock: .continuous)
                } catch {
                    throw RPCError(.cancelled, "the call was cancelled while waiting to connect")
                }
            }
        }
    }

    private func connect() -> Task<ClientConnection, any Error> {
        let configuration = self.configuration
        let loop = self.loop
        return Task {
            do {
                let connection = try await ClientBootstrap(group: loop)
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .connectTimeout(configuration.connectTimeout.timeAmount)
                    .connect(host: configuration.host, port: configuration.port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let handler = ClientConnectionHandler()
                            let sync = channel.pipeline.syncOperations
                            try sync.addHandler(ByteToMessageHandler(FrameDecoder(limits: configuration.frameLimits)))
                            try sync.addHandler(handler)
                            return ClientConnection(channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                        }
                    }
                connected(connection)
                return connection
            } catch {
                failed(error)
                throw error
            }
        }
    }

    private func connected(_ connection: ClientConnection) {
        backoff.withLockedValue { $0 = configuration.initialBackoff }
        let stillWanted = state.withLockedValue { state -> Bool in
            if case .closed = state { return false }
            state = .ready(connection)
            return true
        }
        guard stillWanted else {
            connection.channel.close(promise: nil)
            return
        }
        // A lost connection is replaced on the next call, without backoff: it worked a moment ago.
        connection.channel.closeFuture.whenComplete { [weak self] _ in
            self?.state.withLockedValue { state in
                if case .ready(let current) = state, current === connection { state = .idle }
            }
        }
    }

    private func failed(_ error: any Error) {
        let delay = backoff.withLockedValue { delay -> Duration in
            let current = delay
            delay = min(delay * 2, configuration.maximumBackoff)
            return current
        }
        state.withLockedValue { state in
            if case .closed = state { return }
            state = .backingOff(until: .now + delay, lastError: "\(error)")
        }
    }

    func close() async {
        let previous = state.withLockedValue { state -> State in
            let previous = state
            state = .closed
            return previous
        }
        switch previous {
        case .ready(let connection):
            try? await connection.channel.close()
        case .connecting(let task):
            if let connection = try? await task.value { try? await connection.channel.close() }
        default:
            break
        }
    }
}
