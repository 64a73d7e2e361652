import LibPQ
// Temporary until the codecs branch lands.
extension Int64: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .int8 }
    public func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError) { buffer.writeInteger(self) }
    public init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError) {
        self = try buffer.readInteger(as: Int64.self)
    }
}
