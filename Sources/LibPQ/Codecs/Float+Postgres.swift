// Floating-point values travel as their IEEE 754 bit patterns, so NaN and ±infinity round trip exactly.

/// `Double` binds as `double precision` (`float8`).
extension Double: PostgresArrayElement {
    /// `double precision`.
    public static var postgresType: PostgresDataType { .float8 }
    /// `double precision[]`.
    public static var postgresArrayType: PostgresDataType { .float8Array }

    /// Writes the 8-byte IEEE 754 bit pattern, big-endian.
    public func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError) {
        buffer.writeInteger(bitPattern)
    }

    /// Decodes `double precision`, or `real` (widened exactly).
    public init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError) {
        switch type {
        case .float8: self = Double(bitPattern: try buffer.readInteger(as: UInt64.self))
        case .float4: self = Double(Float(bitPattern: try buffer.readInteger(as: UInt32.self)))
        default: throw .typeMismatch
        }
    }
}

/// `Float` binds as `real` (`float4`).
extension Float: PostgresArrayElement {
    /// `real`.
    public static var postgresType: PostgresDataType { .float4 }
    /// `real[]`.
    public static var postgresArrayType: PostgresDataType { .float4Array }

    /// Writes the 4-byte IEEE 754 bit pattern, big-endian.
    public func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError) {
        buffer.writeInteger(bitPattern)
    }

    /// Decodes `real`, or `double precision` rounded to the nearest `Float`. A finite `double precision`
    /// beyond `Float`'s range throws ``PostgresCodingError/outOfRange(_:)`` rather than becoming infinity.
    public init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError) {
        switch type {
        case .float4:
            self = Float(bitPattern: try buffer.readInteger(as: UInt32.self))
        case .float8:
            let wide = Double(bitPattern: try buffer.readInteger(as: UInt64.self))
            let narrow = Float(wide)
            guard narrow.isFinite || !wide.isFinite else {
                throw .outOfRange("a double precision value is beyond Float's range")
            }
            self = narrow
        default:
            throw .typeMismatch
        }
    }
}
