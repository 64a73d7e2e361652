/// The parameters of a query, already encoded in binary format, in one contiguous buffer.
///
/// The first encoding error is kept and thrown when the query is run, before anything is sent.
public struct PostgresBindings: Sendable, Hashable {
    /// The most parameters one statement can carry (the protocol's Int16 count).
    public static let maximumCount = 65535

    @usableFromInline var types: [UInt32] = []
    /// Byte length of each value; -1 marks NULL.
    @usableFromInline var lengths: [Int32] = []
    @usableFromInline var storage = PostgresWriteBuffer()
    /// The first encoding problem, thrown when the query runs.
    @usableFromInline var deferredError: PostgresCodingError?
    @usableFromInline var deferredIndex: Int = 0

    /// Creates an empty bind list.
    public init() {}

    /// Creates an empty bind list with room for `capacity` parameters.
    public init(capacity: Int) {
        types.reserveCapacity(capacity)
        lengths.reserveCapacity(capacity)
    }

    /// The number of parameters.
    @inlinable public var count: Int { lengths.count }

    /// The type OIDs of the parameters, in order.
    public var typeOIDs: [PostgresDataType] { types.map(PostgresDataType.init(rawValue:)) }

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
            types.append(T.postgresType.rawValue)
            lengths.append(-1)
        }
    }

    /// Appends a value and throws at once when it cannot be encoded.
    @inlinable public mutating func appendOrThrow<T: PostgresEncodable>(_ value: T) throws(PostgresCodingError) {
        try value._appendBind(to: &self)
    }

    /// Appends SQL `NULL` of the given type.
    @inlinable public mutating func appendNull(type: PostgresDataType = .unspecified) {
        types.append(type.rawValue)
        lengths.append(-1)
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
        types.append(T.postgresType.rawValue)
        lengths.append(Int32(length))
    }

    /// Appends all parameters of `other`.
    public mutating func append(contentsOf other: PostgresBindings) {
        if deferredError == nil, let e = other.deferredError {
            deferredError = e
            deferredIndex = count + other.deferredIndex
        }
        types.append(contentsOf: other.types)
        lengths.append(contentsOf: other.lengths)
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
                try withUnsafeTemporaryAllocation(of: Int32.self, capacity: n) { formats in
                    var offset = 0
                    let base = raw.baseAddress.map { UnsafeRawPointer($0) }
                    for i in 0..<n {
                        formats[i] = 1
                        let len = Int(lengths[i])
                        if len < 0 {
                            values[i] = nil
                        } else {
                            // A zero-length value still needs a non-nil pointer, else libpq sends NULL.
                            values[i] = (base ?? UnsafeRawPointer(bitPattern: 1)!).advanced(by: offset)
                                .assumingMemoryBound(to: CChar.self)
                            offset += len
                        }
                    }
                    return try lengths.withUnsafeBufferPointer { lens in
                        try types.withUnsafeBufferPointer { oids in
                            try body(
                                UnsafePointer(values.baseAddress!), lens.baseAddress, UnsafePointer(formats.baseAddress!),
                                oids.baseAddress)
                        }
                    }
                }
            }
        }
    }
}

extension PostgresBindings {
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.types == rhs.types && lhs.lengths == rhs.lengths && lhs.storage.bytes == rhs.storage.bytes
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(types)
        hasher.combine(lengths)
        hasher.combine(storage.bytes)
    }
}

