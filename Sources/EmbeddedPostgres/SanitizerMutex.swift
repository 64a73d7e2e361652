#if LIBPQ_TSAN
import LibPQ

/// ThreadSanitizer runs only (`scripts/tsan`): locks the sanitizer can see (see `LibPQ.SanitizerMutex`).
typealias Mutex = SanitizerMutex
#endif
