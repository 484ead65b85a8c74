import NIOCore
import Synchronization

/// One established connection: its channel, its handler, and its call ids.
final class ClientConnection: Sendable {
    let channel: Channel
    private let handler: NIOLoopBound<ClientConnectionHandler>
    private let lastCallID = Atomic<UInt64>(0)

    init(channel: Channel, handler: NIOLoopBound<ClientConnectionHandler>) {
        self.channel = channel
        self.handler = handler
    }

    /// A call id never used before on this connection (and never 0).
    func nextCallID() -> UInt64 {
        lastCallID.add(1, ordering: .relaxed).newValue
    }

    func start(_ id: UInt64, frame: ByteBuffer, receiver: ClientConnectionHandler.Receiver, timeout: Duration?) {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.start(id, frame: frame, receiver: receiver, timeout: timeout) }
    }

    func cancel(_ id: UInt64) {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.cancel(id) }
    }
}
