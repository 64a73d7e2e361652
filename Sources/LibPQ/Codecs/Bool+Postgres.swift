/// `Bool` binds as `boolean`: one byte, 1 or 0.
extension Bool: PostgresArrayElement {
    /// `boolean`.
    public static var postgresType: PostgresDataType { .bool }
    /// `boolean[]`.
    public static var postgresArrayType: PostgresDataType { .boolArray }

    /// Writes 1 for `true`, 0 for `false`.
    public func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError) {
        buffer.writeInteger(self ? 1 as UInt8 : 0)
    }

    /// Decodes `boolean`; a byte other than 0 or 1 is ``PostgresCodingError/malformed(_:)``.
    public init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError) {
        guard type == .bool else { throw .typeMismatch }
        switch try buffer.readInteger(as: UInt8.self) {
        case 0: self = false
        case 1: self = true
        default: throw .malformed("a boolean byte other than 0 or 1")
        }
    }
}
