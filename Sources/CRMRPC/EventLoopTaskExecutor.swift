import NIOCore

/// A SwiftNIO event loop as a task executor: jobs run on the loop's thread, in the order they
/// come. `RPCClient.executor` is its connection's, so a task that prefers it makes calls
/// without switching threads.
public final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    private let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // From the loop's own thread this is a queue append, run in the same tick.
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
