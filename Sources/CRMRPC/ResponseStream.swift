import CRMWire
import NIOCore

/// The messages of a server-streaming call, in the order the server sent them. Iteration ends
/// when the server ends the call with OK, and throws `RPCError` when it ends it otherwise.
public struct ResponseStream<Message: WireMessage>: AsyncSequence, Sendable {
    public typealias Element = Message

    private let open: @Sendable () async throws(RPCError) -> AsyncThrowingStream<ByteBuffer, any Error>

    init(open: @escaping @Sendable () async throws(RPCError) -> AsyncThrowingStream<ByteBuffer, any Error>) {
        self.open = open
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(open: open)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        private let open: @Sendable () async throws(RPCError) -> AsyncThrowingStream<ByteBuffer, any Error>
        private var bodies: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator?

        init(open: @escaping @Sendable () async throws(RPCError) -> AsyncThrowingStream<ByteBuffer, any Error>) {
            self.open = open
        }

        public mutating func next() async throws -> Message? {
            if bodies == nil { bodies = try await open().makeAsyncIterator() }
            let body: ByteBuffer?
            do {
                body = try await bodies!.next()
            } catch let error as RPCError {
                throw error
            } catch is CallNotSent {
                throw RPCError(.unavailable, "the connection closed before the call was sent")
            } catch {
                throw RPCError(.unknown, "\(error)")
            }
            guard let body else { return nil }
            do {
                return try Message(buffer: body, limits: DecodeLimits())
            } catch {
                throw RPCError(.internal, "a streamed \(Message.protoMessageName) does not decode: \(error)")
            }
        }
    }
}
