#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// `Data` binds as `bytea`: the raw bytes, no escaping.
extension Data: PostgresArrayElement {
    /// `bytea`.
    public static var postgresType: PostgresDataType { .bytea }
    /// `bytea[]`.
    public static var postgresArrayType: PostgresDataType { .byteaArray }

    /// Writes the bytes; more than 1 GB throws ``PostgresCodingError/outOfRange(_:)``.
    public func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError) {
        try PostgresCodingLimits.checkFieldSize(count, of: "a bytea value")
        buffer.writeBytes(self)
    }

    /// Decodes `bytea`.
    public init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError) {
        guard type == .bytea else { throw .typeMismatch }
        self = Data(buffer.readRemaining())
    }
}

/// `[UInt8]` binds as `bytea`, like `Data`, and never as an array.
///
/// `UInt8` is deliberately not a ``PostgresArrayElement`` (a lone byte has no obvious PostgreSQL type), so
/// `[UInt8?]` and a bare `UInt8` do not bind. It conforms only to the array hook, which makes the one
/// generic `Array` conformance write and read `[UInt8]` as raw `bytea` bytes.
extension UInt8: _PostgresArrayRepresentable {
    /// `[UInt8]` is `bytea`.
    public static var _postgresTypeOfArray: PostgresDataType { .bytea }

    /// Writes the bytes; more than 1 GB throws ``PostgresCodingError/outOfRange(_:)``.
    public static func _encodePostgresArray(
        _ array: [UInt8], into buffer: inout PostgresWriteBuffer
    ) throws(PostgresCodingError) {
        try PostgresCodingLimits.checkFieldSize(array.count, of: "a bytea value")
        buffer.writeBytes(array)
    }

    /// Decodes `bytea`.
    public static func _decodePostgresArray(
        from buffer: inout PostgresReadBuffer, type: PostgresDataType
    ) throws(PostgresCodingError) -> [UInt8] {
        guard type == .bytea else { throw .typeMismatch }
        return Array(buffer.readRemaining())
    }
}
