#if LIBPQ_TSAN
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#endif

/// Happens-before edges ThreadSanitizer cannot see on its own, declared to it in sanitizer runs
/// (`scripts/tsan`, `LIBPQ_TSAN`) and compiled to nothing otherwise.
///
/// A result built on a connection's loop thread reaches its caller through an `UnsafeContinuation`.
/// The Swift runtime orders the two (the resume is a release, the awaiting task's wake-up an acquire),
/// but when the resume races with the task's own suspension the runtime synchronises through atomics in
/// its uninstrumented code, so the sanitizer would report the caller's first read of the result as a
/// race with its construction. The connection releases the request before resuming, and the caller
/// acquires it after the await.
@usableFromInline
enum SanitizerAnnotations {
    #if LIBPQ_TSAN
    typealias Annotation = @convention(c) (UnsafeMutableRawPointer?) -> Void
    nonisolated(unsafe) static let acquireFunction: Annotation? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__tsan_acquire")
        .map { unsafeBitCast($0, to: Annotation.self) }
    nonisolated(unsafe) static let releaseFunction: Annotation? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__tsan_release")
        .map { unsafeBitCast($0, to: Annotation.self) }
    #endif

    /// Everything this thread did before is visible to whoever later calls ``acquire(_:)`` on `object`.
    @inline(__always)
    static func release(_ object: AnyObject) {
        #if LIBPQ_TSAN
        releaseFunction?(Unmanaged.passUnretained(object).toOpaque())
        #endif
    }

    /// See ``release(_:)``.
    @inline(__always)
    static func acquire(_ object: AnyObject) {
        #if LIBPQ_TSAN
        acquireFunction?(Unmanaged.passUnretained(object).toOpaque())
        #endif
    }
}
