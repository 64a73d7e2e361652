/// The parameters of a query, already encoded in binary format, in one contiguous buffer.
///
/// The first encoding error is kept and thrown when the query is run, before anything is sent.
public struct PostgresBindings: Sendable, Hashable {
    /// The most parameters one statement can carry (the protocol's Int16 count).
    public static let maximumCount = 65535

    /// One parameter's type OID and byte length (-1 marks NULL).
    @usableFromInline
    struct Parameter: Hashable, Sendable {
        @usableFromInline var type: UInt32
        @usableFromInline var length: Int32

        @inlinable init(type: UInt32, length: Int32) {
            self.type = type
            self.length = length
        }
    }

    /// The parameters' types and lengths, in one array: a query allocates one buffer for them, not two.
    @usableFromInline var parameters: [Parameter] = []
    @usableFromInline var storage = PostgresWriteBuffer()
    /// The first encoding problem, thrown when the query runs.
    @usableFromInline var deferredError: PostgresCodingError?
    @usableFromInline var deferredIndex: Int = 0

    /// Creates an empty bind list.
    public init() {}

    /// Creates an empty bind list with room for `capacity` parameters.
    public init(capacity: Int) {
        parameters.reserveCapacity(capacity)
    }

    /// The number of parameters.
    @inlinable public var count: Int { parameters.count }

    /// The type OIDs of the parameters, in order.
    public var typeOIDs: [PostgresDataType] { parameters.map { PostgresDataType(rawValue: $0.type) } }

    /// The byte length of each parameter, in order; -1 for NULL.
    var lengths: [Int32] { parameters.map(\.length) }

    /// The parameter types, as a statement cache key compares them.
    var types: ParameterTypes { ParameterTypes(parameters: parameters) }

    /// Appends a value (NULL for `nil`). Encoding errors are recorded and thrown when the query runs.
    @inlinable public mutating func append<T: PostgresEncodable>(_ value: T) {
        do {
            try value._appendBind(to: &self)
        } catch {
            if deferredError == nil {
                deferredError = error
                deferredIndex = count + 1
            }
            // Keep numbering stable: the failed parameter still takes its place.
            parameters.append(Parameter(type: T.postgresType.rawValue, length: -1))
        }
    }

    /// Appends a value and throws at once when it cannot be encoded.
    @inlinable public mutating func appendOrThrow<T: PostgresEncodable>(_ value: T) throws(PostgresCodingError) {
        try value._appendBind(to: &self)
    }

    /// Appends SQL `NULL` of the given type.
    @inlinable public mutating func appendNull(type: PostgresDataType = .unspecified) {
        parameters.append(Parameter(type: type.rawValue, length: -1))
    }

    @inlinable public mutating func _appendValue<T: PostgresEncodable>(_ value: T) throws(PostgresCodingError) {
        let start = storage.count
        do {
            try value.encode(into: &storage)
        } catch {
            storage.bytes.removeSubrange(start...)
            throw error
        }
        let length = storage.count - start
        guard length <= Int(Int32.max) else {
            storage.bytes.removeSubrange(start...)
            throw .outOfRange("a parameter of \(length) bytes is over the protocol's limit")
        }
        parameters.append(Parameter(type: T.postgresType.rawValue, length: Int32(length)))
    }

    /// Appends all parameters of `other`.
    public mutating func append(contentsOf other: PostgresBindings) {
        if deferredError == nil, let e = other.deferredError {
            deferredError = e
            deferredIndex = count + other.deferredIndex
        }
        parameters.append(contentsOf: other.parameters)
        storage.writeBytes(other.storage.bytes)
    }

    /// Calls `body` with libpq-shaped arrays: value pointers (nil for NULL), lengths, formats (all binary)
    /// and type OIDs. The pointers are valid only inside `body`.
    func withUnsafeLibPQArrays<R>(
        _ body: (
            _ values: UnsafePointer<UnsafePointer<CChar>?>?,
            _ lengths: UnsafePointer<Int32>?,
            _ formats: UnsafePointer<Int32>?,
            _ types: UnsafePointer<UInt32>?
        ) throws -> R
    ) rethrows -> R {
        let n = count
        if n == 0 { return try body(nil, nil, nil, nil) }
        return try storage.bytes.withUnsafeBufferPointer { raw in
            try withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: n) { values in
                try withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * n) { lengthsAndFormats in
                    try withUnsafeTemporaryAllocation(of: UInt32.self, capacity: n) { oids in
                        let lengths = lengthsAndFormats.baseAddress!
                        let formats = lengths + n
                        var offset = 0
                        let base = raw.baseAddress.map { UnsafeRawPointer($0) }
                        for i in 0..<n {
                            let parameter = parameters[i]
                            oids[i] = parameter.type
                            lengths[i] = parameter.length
                            formats[i] = 1
                            let len = Int(parameter.length)
                            if len < 0 {
                                values[i] = nil
                            } else {
                                // A zero-length value still needs a non-nil pointer, else libpq sends NULL.
                                values[i] = (base ?? UnsafeRawPointer(bitPattern: 1)!).advanced(by: offset)
                                    .assumingMemoryBound(to: CChar.self)
                                offset += len
                            }
                        }
                        return try body(UnsafePointer(values.baseAddress!), lengths, formats, UnsafePointer(oids.baseAddress!))
                    }
                }
            }
        }
    }
}

extension PostgresBindings {
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.parameters == rhs.parameters && lhs.storage.bytes == rhs.storage.bytes
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(parameters)
        hasher.combine(storage.bytes)
    }
}

/// The types of a statement's parameters, compared and hashed by type alone: the part of a query's
/// parameters that a prepared statement depends on (its statement cache key). It shares the query's
/// parameter array instead of copying the types out of it.
struct ParameterTypes: Hashable, Sendable {
    let parameters: [PostgresBindings.Parameter]

    init(parameters: [PostgresBindings.Parameter]) { self.parameters = parameters }

    /// Types given directly (tests).
    init(_ types: [UInt32]) { parameters = types.map { PostgresBindings.Parameter(type: $0, length: 0) } }

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.parameters.count == rhs.parameters.count
            && zip(lhs.parameters, rhs.parameters).allSatisfy { $0.type == $1.type }
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(parameters.count)
        for p in parameters { hasher.combine(p.type) }
    }
}

