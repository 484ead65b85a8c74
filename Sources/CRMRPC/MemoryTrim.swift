import Dispatch
import NIOConcurrencyHelpers

#if os(Linux)
/// glibc's malloc_trim (malloc.h, which the Glibc module leaves out).
@_silgen_name("malloc_trim")
private func malloc_trim(_ pad: Int) -> Int32
#endif

/// Gives freed heap memory back to the system after something large let go of it (a big
/// frame, a page of answers, an import). glibc keeps freed pages for the process otherwise, so a
/// burst of hostile traffic would leave the service's resident memory at its peak for good. At
/// most once a second, off the caller's thread (a trim walks the heap).
public enum MemoryTrim {
    /// Frees smaller than this are not worth a trim.
    public static let threshold = 1 << 20
    private static let last = NIOLockedValueBox<ContinuousClock.Instant?>(nil)

    /// Schedules a trim after `bytes` were released.
    public static func released(_ bytes: Int) {
        guard bytes >= threshold else { return }
        #if os(Linux)
        let now = ContinuousClock.now
        let due = last.withLockedValue { last -> Bool in
            if let previous = last, now - previous < .seconds(1) { return false }
            last = now
            return true
        }
        guard due else { return }
        // Half a second later: what is being released now has gone back to the allocator by then.
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + .milliseconds(500)) { _ = malloc_trim(0) }
        #endif
    }
}
