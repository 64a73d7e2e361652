#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// `UUID` binds as `uuid`: its 16 bytes in RFC 4122 order.
extension UUID: PostgresArrayElement {
    /// `uuid`.
    public static var postgresType: PostgresDataType { .uuid }
    /// `uuid[]`.
    public static var postgresArrayType: PostgresDataType { .uuidArray }

    /// Writes the 16 bytes.
    public func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError) {
        withUnsafeBytes(of: uuid) { buffer.writeBytes($0) }
    }

    /// Decodes `uuid`.
    public init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError) {
        guard type == .uuid else { throw .typeMismatch }
        let bytes = try buffer.readBytes(16)
        self = UUID(uuid: bytes.loadUnaligned(as: uuid_t.self))
    }
}
