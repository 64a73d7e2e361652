// Integers bind as the PostgreSQL integer of their width and decode from any integer column whose value
// fits: widening always works, narrowing throws `.outOfRange` only for values that do not fit.

/// Reads an `int2`, `int4`, `int8` or `oid` value and converts it to `T` when it fits.
func decodePostgresInteger<T: FixedWidthInteger>(
    _: T.Type, from buffer: inout PostgresReadBuffer, type: PostgresDataType
) throws(PostgresCodingError) -> T {
    let value: Int64
    switch type {
    case .int2: value = Int64(try buffer.readInteger(as: Int16.self))
    case .int4: value = Int64(try buffer.readInteger(as: Int32.self))
    case .int8: value = try buffer.readInteger(as: Int64.self)
    case .oid: value = Int64(try buffer.readInteger(as: UInt32.self))
    default: throw .typeMismatch
    }
    guard let result = T(exactly: value) else {
        throw .outOfRange("a \(type) value does not fit \(T.self)")
    }
    return result
}

/// `Int16` binds as `smallint` (`int2`).
extension Int16: PostgresArrayElement {
    /// `smallint`.
    public static var postgresType: PostgresDataType { .int2 }
    /// `smallint[]`.
    public static var postgresArrayType: PostgresDataType { .int2Array }

    /// Writes 2 bytes, big-endian.
    public func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError) {
        buffer.writeInteger(self)
    }

    /// Decodes `smallint`, `integer`, `bigint` or `oid` when the value fits.
    public init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError) {
        self = try decodePostgresInteger(Int16.self, from: &buffer, type: type)
    }
}

/// `Int32` binds as `integer` (`int4`).
extension Int32: PostgresArrayElement {
    /// `integer`.
    public static var postgresType: PostgresDataType { .int4 }
    /// `integer[]`.
    public static var postgresArrayType: PostgresDataType { .int4Array }

    /// Writes 4 bytes, big-endian.
    public func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError) {
        buffer.writeInteger(self)
    }

    /// Decodes `smallint`, `integer`, `bigint` or `oid` when the value fits.
    public init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError) {
        self = try decodePostgresInteger(Int32.self, from: &buffer, type: type)
    }
}

/// `Int64` binds as `bigint` (`int8`).
extension Int64: PostgresArrayElement {
    /// `bigint`.
    public static var postgresType: PostgresDataType { .int8 }
    /// `bigint[]`.
    public static var postgresArrayType: PostgresDataType { .int8Array }

    /// Writes 8 bytes, big-endian.
    public func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError) {
        buffer.writeInteger(self)
    }

    /// Decodes `smallint`, `integer`, `bigint` or `oid`.
    public init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError) {
        self = try decodePostgresInteger(Int64.self, from: &buffer, type: type)
    }
}

/// `Int` binds as `bigint` (`int8`) on every platform.
extension Int: PostgresArrayElement {
    /// `bigint`.
    public static var postgresType: PostgresDataType { .int8 }
    /// `bigint[]`.
    public static var postgresArrayType: PostgresDataType { .int8Array }

    /// Writes 8 bytes, big-endian.
    public func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError) {
        buffer.writeInteger(Int64(self))
    }

    /// Decodes `smallint`, `integer`, `bigint` or `oid` when the value fits.
    public init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError) {
        self = try decodePostgresInteger(Int.self, from: &buffer, type: type)
    }
}

/// `UInt32` binds as `oid`, PostgreSQL's unsigned 32-bit object identifier.
extension UInt32: PostgresArrayElement {
    /// `oid`.
    public static var postgresType: PostgresDataType { .oid }
    /// `oid[]`.
    public static var postgresArrayType: PostgresDataType { .oidArray }

    /// Writes 4 bytes, big-endian.
    public func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError) {
        buffer.writeInteger(self)
    }

    /// Decodes `oid`, or a non-negative `smallint`, `integer` or `bigint` that fits.
    public init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError) {
        self = try decodePostgresInteger(UInt32.self, from: &buffer, type: type)
    }
}
