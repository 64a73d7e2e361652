#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension StringProtocol {
    /// Whether the UTF-8 text holds a NUL byte (which libpq cannot send). `memchr` over the contiguous
    /// UTF-8 of a native string: checked on every query's SQL text and every string bind, where the
    /// generic `utf8.contains(0)` walked a byte at a time through the UTF8View iterator.
    var containsNUL: Bool {
        let fast = utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return false }
            return memchr(base, 0, bytes.count) != nil
        }
        return fast ?? utf8.contains(0)
    }
}
