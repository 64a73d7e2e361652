/// `nil` binds as SQL `NULL` of the wrapped type; any other value binds as the wrapped value.
extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    /// The wrapped type's PostgreSQL type (also the type of a `NULL` parameter).
    public static var postgresType: PostgresDataType { Wrapped.postgresType }

    /// Writes the wrapped value. `nil` has no bytes: it is sent as `NULL` by `_appendBind(to:)` and
    /// written as length -1 in arrays, so calling this on `nil` throws ``PostgresCodingError/invalidValue(_:)``.
    public func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError) {
        guard case .some(let wrapped) = self else {
            throw .invalidValue("nil has no binary representation; it is sent as NULL")
        }
        try wrapped.encode(into: &buffer)
    }

    /// Appends `NULL` (typed as the wrapped type) for `nil`, else the wrapped value.
    public func _appendBind(to bindings: inout PostgresBindings) throws(PostgresCodingError) {
        switch self {
        case .none: bindings.appendNull(type: Wrapped.postgresType)
        case .some(let wrapped): try wrapped._appendBind(to: &bindings)
        }
    }
}

/// SQL `NULL` decodes to `nil`; any other value decodes as the wrapped type.
extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    /// Decodes the wrapped type.
    public init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError) {
        // Decoded into a local first: `self = .some(try Wrapped(...))` made the compiler fetch `Wrapped?`'s
        // metadata at run time (a hash lookup) for a temporary, on every value decoded through this generic
        // witness, which is how tuple decoding reaches it (PostgresRow.decode's pack expansion).
        let wrapped = try Wrapped(from: &buffer, type: type)
        self = wrapped
    }

    /// `NULL` is `nil`.
    public static func _decodeNull(type: PostgresDataType) throws(PostgresCodingError) -> Self { nil }
}

extension Optional: _PostgresArrayRepresentable where Wrapped: PostgresArrayElement {}

/// Optionals are array elements, so `[Int32?]` binds and decodes `int4[]` with `NULL` elements.
extension Optional: PostgresArrayElement where Wrapped: PostgresArrayElement {
    /// The wrapped type's array type.
    public static var postgresArrayType: PostgresDataType { Wrapped.postgresArrayType }

    /// `nil` (at any depth of nesting) is `NULL`.
    public var _isPostgresNull: Bool {
        switch self {
        case .none: true
        case .some(let wrapped): wrapped._isPostgresNull
        }
    }
}
