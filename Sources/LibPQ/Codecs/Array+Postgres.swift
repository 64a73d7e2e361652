/// The hook the `Array` conformances dispatch to: how a Swift `[Self]` is written and read.
///
/// Every ``PostgresArrayElement`` gets PostgreSQL's one-dimensional binary array format from the
/// defaults below. `UInt8` is the one other conformer: `[UInt8]` is `bytea`, not an array of anything.
/// This indirection is what lets `Array` have a single conditional conformance to ``PostgresEncodable``
/// (Swift allows only one) that still covers both `[Int32]` (`int4[]`) and `[UInt8]` (`bytea`).
/// Not meant to be conformed to outside this module; conform to ``PostgresArrayElement`` instead.
public protocol _PostgresArrayRepresentable: Sendable {
    /// The PostgreSQL type of `[Self]`.
    static var _postgresTypeOfArray: PostgresDataType { get }
    /// Writes `[Self]` in its binary format.
    static func _encodePostgresArray(_ array: [Self], into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError)
    /// Reads `[Self]` from its binary format.
    static func _decodePostgresArray(
        from buffer: inout PostgresReadBuffer, type: PostgresDataType
    ) throws(PostgresCodingError) -> [Self]
}

extension PostgresArrayElement {
    /// Non-optional values are never `NULL`.
    public var _isPostgresNull: Bool { false }

    /// `[Self]` is sent as ``PostgresArrayElement/postgresArrayType``.
    public static var _postgresTypeOfArray: PostgresDataType { postgresArrayType }

    /// Writes PostgreSQL's binary array format (`array_send`): dimension count, has-NULL flag, element
    /// type OID, then for one dimension its size and lower bound (1), then each element as an `Int32` length
    /// followed by its bytes, or length -1 for `NULL`. An empty array has zero dimensions.
    public static func _encodePostgresArray(
        _ array: [Self], into buffer: inout PostgresWriteBuffer
    ) throws(PostgresCodingError) {
        try PostgresCodingLimits.checkElementCount(array.count)
        let start = buffer.count
        buffer.writeInteger(Int32(array.isEmpty ? 0 : 1))
        let flagsOffset = buffer.count
        buffer.writeInteger(Int32(0))
        buffer.writeInteger(postgresType.rawValue)
        guard !array.isEmpty else { return }
        buffer.writeInteger(Int32(array.count))
        buffer.writeInteger(Int32(1))
        var hasNull = false
        for element in array {
            if element._isPostgresNull {
                buffer.writeInteger(Int32(-1))
                hasNull = true
                continue
            }
            let lengthOffset = buffer.count
            buffer.writeInteger(Int32(0))
            try element.encode(into: &buffer)
            let length = buffer.count - lengthOffset - 4
            try PostgresCodingLimits.checkFieldSize(length, of: "an array element")
            buffer.setInt32(Int32(length), at: lengthOffset)
        }
        if hasNull { buffer.setInt32(1, at: flagsOffset) }
        try PostgresCodingLimits.checkFieldSize(buffer.count - start, of: "an array")
    }

    /// Reads PostgreSQL's binary array format.
    ///
    /// The column must be a known array type (``PostgresDataType/arrayElementType``) whose element type
    /// matches the header's, else ``PostgresCodingError/typeMismatch``. Arrays of more than one dimension
    /// throw ``PostgresCodingError/malformed(_:)``; the lower bound is ignored (a Swift array starts at 0).
    /// `NULL` elements decode through `_decodeNull`, so `[Int32?]` gets `nil` and `[Int32]` throws
    /// ``PostgresCodingError/unexpectedNull``.
    public static func _decodePostgresArray(
        from buffer: inout PostgresReadBuffer, type: PostgresDataType
    ) throws(PostgresCodingError) -> [Self] {
        guard let columnElementType = type.arrayElementType else { throw .typeMismatch }
        let dimensions = try buffer.readInteger(as: Int32.self)
        let flags = try buffer.readInteger(as: Int32.self)
        let elementType = PostgresDataType(try buffer.readInteger(as: UInt32.self))
        guard elementType == columnElementType else {
            throw .malformed("an array of \(elementType) in a \(type) column")
        }
        guard flags == 0 || flags == 1 else { throw .malformed("array flags \(flags)") }
        switch dimensions {
        case 0:
            try checkDecodes(elementType)
            return []
        case 1:
            break
        case let n where n > 1:
            throw .malformed("a \(n)-dimensional array; only one-dimensional arrays decode into a Swift Array")
        default:
            throw .malformed("negative array dimension count")
        }
        let count = try buffer.readInteger(as: Int32.self)
        guard count >= 0 else { throw .malformed("negative array size") }
        _ = try buffer.readInteger(as: Int32.self)  // lower bound
        var result: [Self] = []
        // Each element takes at least its 4-byte length: never trust a size the bytes cannot hold.
        result.reserveCapacity(min(Int(count), buffer.readableBytes / 4))
        for _ in 0..<count {
            let length = try buffer.readInteger(as: Int32.self)
            if length == -1 {
                result.append(try _decodeNull(type: elementType))
                continue
            }
            guard length >= 0 else { throw .malformed("negative array element length") }
            var element = PostgresReadBuffer(try buffer.readBytes(Int(length)))
            result.append(try Self(from: &element, type: elementType))
            try element.expectEnd()
        }
        return result
    }

    /// For an empty array no element is decoded, so probe the element decoder with zero bytes: every
    /// decoder checks the type before it reads, so `.typeMismatch` means the types are incompatible and
    /// any other outcome (usually `.malformed` for the missing bytes) means they are compatible.
    static func checkDecodes(_ elementType: PostgresDataType) throws(PostgresCodingError) {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        var probe = PostgresReadBuffer(empty)
        do {
            _ = try Self(from: &probe, type: elementType)
        } catch .typeMismatch {
            throw .typeMismatch
        } catch {
            // Compatible type; the zero bytes were simply too few.
        }
    }
}

/// One-dimensional arrays bind as the element's array type (`[Int32]` as `int4[]`), except `[UInt8]`,
/// which binds as `bytea`.
extension Array: PostgresEncodable where Element: _PostgresArrayRepresentable {
    /// `Element`'s array type, or `bytea` for `[UInt8]`.
    public static var postgresType: PostgresDataType { Element._postgresTypeOfArray }

    /// Writes the binary array format (or the raw bytes, for `[UInt8]`).
    public func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError) {
        try Element._encodePostgresArray(self, into: &buffer)
    }
}

/// One-dimensional arrays decode from the matching array type (`[Int64]` also from `int2[]`/`int4[]`,
/// following the element's rules), and `[UInt8]` from `bytea`.
extension Array: PostgresDecodable where Element: _PostgresArrayRepresentable {
    /// Reads the binary array format (or the raw bytes, for `[UInt8]`).
    public init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError) {
        self = try Element._decodePostgresArray(from: &buffer, type: type)
    }
}
