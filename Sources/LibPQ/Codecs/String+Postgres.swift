/// `String` binds as `text` (the server converts it to `varchar`, `char(n)`, `name`... on assignment).
///
/// Decoded strings are validated as UTF-8 and malformed bytes throw ``PostgresCodingError/malformed(_:)``
/// rather than being replaced with U+FFFD. The connection asks for `client_encoding` UTF8, so the check
/// only fails if someone changes that setting, and then a loud error beats silently corrupted data. It
/// costs about what `String(decoding:)` costs, which validates too (to repair).
extension String: PostgresArrayElement {
    /// `text`.
    public static var postgresType: PostgresDataType { .text }
    /// `text[]`.
    public static var postgresArrayType: PostgresDataType { .textArray }

    /// Writes the UTF-8 bytes. A NUL byte throws ``PostgresCodingError/invalidValue(_:)`` (PostgreSQL text
    /// cannot hold it); more than 1 GB throws ``PostgresCodingError/outOfRange(_:)``.
    public func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError) {
        let utf8 = self.utf8
        try PostgresCodingLimits.checkFieldSize(utf8.count, of: "a string")
        guard !containsNUL else {
            throw .invalidValue("a string with a NUL byte cannot be sent: PostgreSQL text cannot hold it")
        }
        buffer.writeBytes(utf8)
    }

    /// Decodes `text`, `varchar`, `char(n)` (`bpchar`, with its padding), `name`, `unknown`, `json`, and
    /// `jsonb` (as JSON text, without its version byte).
    public init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError) {
        switch type {
        case .text, .varchar, .bpchar, .name, .unknown, .json:
            break
        case .jsonb:
            let version = try buffer.readInteger(as: UInt8.self)
            guard version == 1 else { throw .malformed("unsupported jsonb format version \(version)") }
        default:
            throw .typeMismatch
        }
        let bytes = buffer.readRemaining()
        // ASCII (nearly every token, code and name) needs no UTF-8 validation, and `String(decoding:)`
        // over a buffer of bytes is a specialised copy; other text is validated.
        if Self.isASCII(bytes) {
            self = String(decoding: bytes.assumingMemoryBound(to: UInt8.self), as: UTF8.self)
            return
        }
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw .malformed("the server sent text that is not valid UTF-8 (is client_encoding UTF8?)")
        }
        self = string
    }

    /// Whether every byte is below 0x80 (eight bytes at a time).
    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var i = 0
        while i + 8 <= count {
            if base.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return false }
            i += 8
        }
        while i < count {
            if base.load(fromByteOffset: i, as: UInt8.self) & 0x80 != 0 { return false }
            i += 1
        }
        return true
    }
}
