import Crypto

/// Session tokens: 32 bytes from the system's CSPRNG, written as 64 lowercase hex characters, exactly as
/// Vendure makes them (`crypto.randomBytes(32).toString('hex')`).
///
/// `SystemRandomNumberGenerator` is a cryptographically secure generator on every platform Swift runs on
/// (`getrandom(2)` on Linux, `arc4random_buf` on Darwin).
public enum SessionToken {
    /// The number of random bytes in a token.
    public static let byteCount = 32
    /// The length of a token in characters.
    public static let length = byteCount * 2

    /// A new random token.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    /// A new token from `generator` (tests only: production tokens come from ``generate()``).
    public static func generate<G: RandomNumberGenerator>(using generator: inout G) -> String {
        String(unsafeUninitializedCapacity: length) { buffer in
            var i = 0
            for _ in 0..<(byteCount / 8) {
                var word = generator.next()
                for _ in 0..<8 {
                    let byte = UInt8(truncatingIfNeeded: word)
                    word >>= 8
                    buffer[i] = hexDigit(byte >> 4)
                    buffer[i + 1] = hexDigit(byte & 0x0f)
                    i += 2
                }
            }
            return length
        }
    }

    /// Whether `token` can be a session token: exactly 64 lowercase hex characters. Anything else (wrong
    /// length, upper case, NUL, non-ASCII, megabytes of junk) is rejected without touching the database.
    /// The check reads at most 65 UTF-8 bytes.
    public static func isWellFormed(_ token: String) -> Bool {
        let utf8 = token.utf8
        // A native string knows its UTF-8 length without reading it; a bridged one reads at most 65 bytes.
        if let verdict = utf8.withContiguousStorageIfAvailable({ bytes in bytes.count == length && bytes.allSatisfy(isHexDigit) }) {
            return verdict
        }
        var count = 0
        for byte in utf8 {
            count += 1
            guard count <= length, isHexDigit(byte) else { return false }
        }
        return count == length
    }

    /// `0`-`9` or `a`-`f`.
    @inline(__always)
    private static func isHexDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10 || byte &- UInt8(ascii: "a") < 6
    }

    /// The first characters of a token, for logs and command output (never log a whole token).
    public static func redacted(_ token: String) -> String {
        String(token.prefix(8)) + "…"
    }

    /// SHA-256 of the token's UTF-8 bytes, as 64 lowercase hex characters: the cache key and the payload
    /// of invalidation notifications. Equal to PostgreSQL's
    /// `encode(sha256(convert_to(token, 'UTF8')), 'hex')`.
    public static func hash(_ token: String) -> String {
        // Hashes the string's own bytes when it has them in one piece (a native string does), no copy.
        let digest =
            token.utf8.withContiguousStorageIfAvailable { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
            ?? SHA256.hash(data: Array(token.utf8))
        return String(unsafeUninitializedCapacity: 64) { buffer in
            var i = 0
            for byte in digest {
                buffer[i] = hexDigit(byte >> 4)
                buffer[i + 1] = hexDigit(byte & 0x0f)
                i += 2
            }
            return i
        }
    }

    /// The lowercase hex digit of a nibble (a constant table, no allocation).
    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        ("0123456789abcdef" as StaticString).utf8Start[Int(nibble)]
    }
}
