#if LIBPQ_TSAN
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Built only for ThreadSanitizer runs (`scripts/tsan`, which sets `LIBPQ_TSAN`): a lock with
/// `Synchronization.Mutex`'s API over a `pthread_mutex_t`, which the sanitizer's runtime intercepts.
///
/// On Linux `Synchronization.Mutex` locks with atomics and futex calls inside the standard library,
/// which is not instrumented, so the sanitizer cannot see that a lock orders two accesses and reports
/// every access under a `Mutex` as a race. In these builds each module that locks declares
/// `typealias Mutex = SanitizerMutex`, so the sanitizer sees the real ordering and reports only real
/// races. Normal builds never compile this file.
// @unchecked Sendable: `value` is only touched between pthread_mutex_lock and pthread_mutex_unlock.
public final class SanitizerMutex<Value: ~Copyable>: @unchecked Sendable {
    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init(_ value: consuming sending Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<Result: ~Copyable, E: Error>(_ body: (inout sending Value) throws(E) -> sending Result) throws(E) -> sending Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}

typealias Mutex = SanitizerMutex
#endif
