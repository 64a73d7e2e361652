/// A Swift value that can be sent to PostgreSQL as a bound parameter, in binary format.
///
/// Conformances write the value's binary wire representation (the type's `send` function format) into
/// a ``PostgresWriteBuffer``. They throw ``PostgresCodingError`` for values the target type cannot hold.
public protocol PostgresEncodable: Sendable {
    /// The PostgreSQL type of the encoded value; sent as the parameter's type OID.
    static var postgresType: PostgresDataType { get }

    /// Writes the binary representation of a non-NULL value.
    func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError)

    /// Appends the value to a bind list. The default appends a non-NULL value; `Optional` overrides it.
    func _appendBind(to bindings: inout PostgresBindings) throws(PostgresCodingError)
}

extension PostgresEncodable {
    @inlinable
    public func _appendBind(to bindings: inout PostgresBindings) throws(PostgresCodingError) {
        try bindings._appendValue(self)
    }
}

/// A Swift value that can be decoded from a PostgreSQL result column in binary format.
public protocol PostgresDecodable: Sendable {
    /// Decodes a non-NULL value from its binary representation.
    ///
    /// - Parameters:
    ///   - buffer: the column's bytes; a conformance should consume all of them.
    ///   - type: the column's server type; throw ``PostgresCodingError/typeMismatch`` for types not handled.
    init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError)

    /// The value that SQL `NULL` decodes to. The default throws ``PostgresCodingError/unexpectedNull``;
    /// `Optional` returns `nil`.
    static func _decodeNull(type: PostgresDataType) throws(PostgresCodingError) -> Self
}

extension PostgresDecodable {
    @inlinable
    public static func _decodeNull(type: PostgresDataType) throws(PostgresCodingError) -> Self {
        throw .unexpectedNull
    }
}

/// A value that is both ``PostgresEncodable`` and ``PostgresDecodable``.
public typealias PostgresCodable = PostgresEncodable & PostgresDecodable

/// A type that can be an element of a one-dimensional PostgreSQL array (`[T]` binds and decodes as `T[]`).
///
/// Conforming is enough: the binary array format comes from default implementations (see
/// `Array+Postgres.swift`).
public protocol PostgresArrayElement: PostgresEncodable, PostgresDecodable, _PostgresArrayRepresentable {
    /// The OID of the array type whose elements are `Self` (for example `int4[]` for `Int32`).
    static var postgresArrayType: PostgresDataType { get }

    /// Whether the value is SQL `NULL` when written as an array element. The default is `false`; only
    /// `Optional.none` is `NULL`.
    var _isPostgresNull: Bool { get }
}

/// Why a value could not be encoded or decoded. The row layer wraps it into a ``PostgresError`` with the
/// column name, the Swift type and the server type.
public enum PostgresCodingError: Error, Sendable, Hashable {
    /// The server type is not one this Swift type decodes from.
    case typeMismatch
    /// A `NULL` was found where a non-optional Swift type was asked for.
    case unexpectedNull
    /// The bytes do not form a valid value of the type (wrong length, bad header...).
    case malformed(String)
    /// The value does not fit the target type (for example an `Int64` into `int4`, or an infinite timestamp
    /// into `Date`).
    case outOfRange(String)
    /// The value cannot be sent (for example a `String` containing a NUL byte).
    case invalidValue(String)
}

/// A growable byte buffer that binary encoders write big-endian values into.
public struct PostgresWriteBuffer: Sendable, Hashable {
    /// The bytes written so far.
    public var bytes: [UInt8]

    /// Creates an empty buffer.
    @inlinable public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// The number of bytes written.
    @inlinable public var count: Int { bytes.count }

    /// Writes an integer in network byte order.
    @inlinable public mutating func writeInteger<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Writes raw bytes.
    @inlinable public mutating func writeBytes<C: Collection>(_ data: C) where C.Element == UInt8 {
        bytes.append(contentsOf: data)
    }

    /// Overwrites a previously written big-endian `Int32` at `offset` (used to patch length prefixes).
    @inlinable public mutating func setInt32(_ value: Int32, at offset: Int) {
        let v = UInt32(bitPattern: value)
        bytes[offset] = UInt8(truncatingIfNeeded: v >> 24)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: v >> 16)
        bytes[offset + 2] = UInt8(truncatingIfNeeded: v >> 8)
        bytes[offset + 3] = UInt8(truncatingIfNeeded: v)
    }
}

/// A read cursor over a column's bytes. Valid only during a decode call: never store it.
public struct PostgresReadBuffer {
    @usableFromInline var base: UnsafeRawBufferPointer
    @usableFromInline var index: Int

    /// Creates a cursor over `bytes`.
    @inlinable public init(_ bytes: UnsafeRawBufferPointer) {
        base = bytes
        index = 0
    }

    /// The number of bytes not yet read.
    @inlinable public var readableBytes: Int { base.count - index }

    /// Reads a big-endian integer, or throws ``PostgresCodingError/malformed(_:)`` when too few bytes are left.
    @inlinable public mutating func readInteger<T: FixedWidthInteger>(as: T.Type = T.self) throws(PostgresCodingError) -> T {
        let size = MemoryLayout<T>.size
        guard readableBytes >= size else { throw .malformed("expected \(size) bytes, found \(readableBytes)") }
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: base[index..<index + size]))
        }
        index += size
        return T(bigEndian: value)
    }

    /// Reads `count` bytes as a buffer slice, valid for the duration of the decode call.
    @inlinable public mutating func readBytes(_ count: Int) throws(PostgresCodingError) -> UnsafeRawBufferPointer {
        guard count >= 0, readableBytes >= count else {
            throw .malformed("expected \(count) bytes, found \(readableBytes)")
        }
        defer { index += count }
        return UnsafeRawBufferPointer(rebasing: base[index..<index + count])
    }

    /// Reads all remaining bytes.
    @inlinable public mutating func readRemaining() -> UnsafeRawBufferPointer {
        defer { index = base.count }
        return UnsafeRawBufferPointer(rebasing: base[index...])
    }

    /// Throws unless every byte was consumed.
    @inlinable public func expectEnd() throws(PostgresCodingError) {
        guard readableBytes == 0 else { throw .malformed("\(readableBytes) trailing bytes") }
    }
}
