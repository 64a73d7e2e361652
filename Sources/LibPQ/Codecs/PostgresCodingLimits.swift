/// Size limits the codecs enforce before anything reaches the server.
enum PostgresCodingLimits {
    /// The largest value PostgreSQL stores in one field: 1 GB (`MaxAllocSize`, 2^30 - 1) minus the 4-byte
    /// varlena header. Longer strings, `bytea` values, arrays and JSON documents throw `.outOfRange`.
    static let maximumFieldSize = 0x3FFF_FFFF - 4

    /// Throws ``PostgresCodingError/outOfRange(_:)`` when `size` bytes do not fit one PostgreSQL field.
    static func checkFieldSize(_ size: Int, of what: String) throws(PostgresCodingError) {
        guard size <= maximumFieldSize else {
            throw .outOfRange("\(what) of \(size) bytes is over PostgreSQL's 1 GB field limit")
        }
    }

    /// Throws ``PostgresCodingError/outOfRange(_:)`` when an array has more elements than the binary array
    /// format's `Int32` dimension size can count.
    static func checkElementCount(_ count: Int) throws(PostgresCodingError) {
        guard count <= Int(Int32.max) else {
            throw .outOfRange("an array of \(count) elements is over the binary array format's Int32 limit")
        }
    }
}
