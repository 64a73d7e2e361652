import CLibPQ
import Synchronization

/// The rows a query returned, in binary format, kept in the libpq result they arrived in (no copy).
///
/// A `PostgresRows` is a random-access collection of ``PostgresRow``. It frees its libpq result when the
/// last reference to it goes away.
// @unchecked Sendable: the PGresult is never mutated after libpq hands it over, and libpq documents a
// PGresult as safe to read from any thread once created; PQclear runs once, in deinit.
public final class PostgresRows: @unchecked Sendable, RandomAccessCollection {
    @usableFromInline
    let result: OpaquePointer?
    /// The SQL text of the query (for error messages).
    public let query: String
    /// The number of columns.
    @usableFromInline
    let fieldCount: Int
    /// Column names, built on first use: most results are decoded by position and never need them (a
    /// `String` per column per result was a visible share of a lookup's client CPU).
    private let columnNames = Mutex<[String]?>(nil)
    /// Maps a column name to the index of its first occurrence. Built on the first lookup by name.
    private let columnIndexCache = Mutex<[String: Int]?>(nil)

    /// Counts the results of one connection still alive.
    let counter: ResultCounter?

    init(result: OpaquePointer?, query: String, counter: ResultCounter? = nil) {
        self.result = result
        self.query = query
        self.counter = result == nil ? nil : counter
        guard let result else {
            fieldCount = 0
            return
        }
        fieldCount = Int(PQnfields(result))
        rowCount = Int(PQntuples(result))
        counter?.value.add(1, ordering: .relaxed)
    }

    /// Column names, in order.
    public var columns: [String] {
        columnNames.withLock { names in
            if let names { return names }
            var built: [String] = []
            built.reserveCapacity(fieldCount)
            for i in 0..<fieldCount {
                built.append(PQfname(result, Int32(i)).map { String(cString: $0) } ?? "?column?")
            }
            names = built
            return built
        }
    }

    /// Column types, in order.
    public var columnTypes: [PostgresDataType] { (0..<fieldCount).map { _type(at: $0) } }

    /// The type of the column at `column` (in range).
    @usableFromInline
    func _type(at column: Int) -> PostgresDataType {
        PostgresDataType(PQftype(result, Int32(column)))
    }

    /// The command tag, for example `INSERT 0 1`.
    public var commandTag: String {
        guard let result else { return "" }
        return PQcmdStatus(result).map { String(cString: $0) } ?? ""
    }

    /// The index of the first column named `name`, or nil.
    func columnIndex(of name: String) -> Int? {
        columnIndexCache.withLock { cache in
            if let index = cache { return index[name] }
            var index: [String: Int] = [:]
            let columns = self.columns
            index.reserveCapacity(columns.count)
            for (i, column) in columns.enumerated() where index[column] == nil { index[column] = i }
            cache = index
            return index[name]
        }
    }

    /// An empty result (no libpq result behind it).
    static func empty(query: String) -> PostgresRows { PostgresRows(result: nil, query: query) }

    @usableFromInline
    var rowCount = 0

    deinit {
        if let result {
            PQclear(result)
            counter?.value.subtract(1, ordering: .relaxed)
        }
    }

    /// Rows affected by an INSERT, UPDATE, DELETE, MERGE, SELECT, MOVE, FETCH or COPY (`PQcmdTuples`);
    /// 0 for other commands.
    public var affectedRows: Int {
        guard let result, let s = PQcmdTuples(result) else { return 0 }
        return Int(String(cString: s)) ?? 0
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { rowCount }
    public subscript(position: Int) -> PostgresRow {
        precondition(position >= 0 && position < rowCount, "row index out of range")
        return PostgresRow(rows: self, index: Int32(position))
    }

    /// Decodes every row into a tuple by position (see ``PostgresRow/decode(_:)->(_,_)`` and its overloads
    /// for other widths).
    @inlinable
    public func decode<each T: PostgresDecodable>(_ types: (repeat each T).Type) throws -> [(repeat each T)] {
        var out: [(repeat each T)] = []
        out.reserveCapacity(rowCount)
        for row in self { out.append(try row.decode(types)) }
        return out
    }

    /// Decodes the single column of every row.
    public func decodeColumn<T: PostgresDecodable>(_ type: T.Type, at column: Int = 0) throws -> [T] {
        var out: [T] = []
        out.reserveCapacity(rowCount)
        for row in self { out.append(try row.decode(type, at: column)) }
        return out
    }

    /// Decodes the first row by position, or returns nil when there is no row.
    // Inlinable, like the tuple decoders below: specialised in the caller, a tuple decode needs no runtime
    // lookup of the tuple's type metadata (which took ~5% of client CPU in the lookup benchmark).
    @inlinable
    public func first<each T: PostgresDecodable>(decoding types: (repeat each T).Type) throws -> (repeat each T)? {
        guard rowCount > 0 else { return nil }
        return try self[0].decode(types)
    }
}

/// One row of a ``PostgresRows``.
public struct PostgresRow: Sendable {
    /// The result this row belongs to.
    public let rows: PostgresRows
    @usableFromInline
    let index: Int32
    /// Prepended to every column name looked up by name (see ``scoped(to:)``).
    public let columnPrefix: String

    init(rows: PostgresRows, index: Int32, columnPrefix: String = "") {
        self.rows = rows
        self.index = index
        self.columnPrefix = columnPrefix
    }

    /// The same row, with every by-name lookup (``decode(_:column:)``, ``columnIndex(named:)``) reading the
    /// column named `prefix + name` instead. A joined entity's columns are selected under aliases such as
    /// `"activeOrder.id"`; `row.scoped(to: "activeOrder.")` lets the entity's own `init(row:)` read them.
    public func scoped(to prefix: String) -> PostgresRow {
        PostgresRow(rows: rows, index: index, columnPrefix: prefix)
    }

    /// The number of columns.
    public var columnCount: Int { rows.fieldCount }

    /// Whether the column at `column` is NULL.
    public func isNull(at column: Int) -> Bool {
        PQgetisnull(rows.result, index, Int32(column)) == 1
    }

    /// The index of the column named `name`, or nil.
    public func columnIndex(named name: String) -> Int? { rows.columnIndex(of: columnPrefix + name) }

    /// Decodes the column at `column` (0-based).
    @inlinable
    public func decode<T: PostgresDecodable>(_ type: T.Type, at column: Int) throws -> T {
        try _decode(type, at: column)
    }

    /// Decodes the column named `name`. Throws a decoding error naming the column when it does not exist.
    public func decode<T: PostgresDecodable>(_ type: T.Type, column name: String) throws -> T {
        let name = columnPrefix + name
        guard let i = rows.columnIndex(of: name) else {
            var e = PostgresError(code: .decoding, message: "no column named \(name) in the result", query: rows.query)
            e.column = name
            e.swiftType = String(describing: T.self)
            throw e
        }
        return try _decode(type, at: i)
    }

    /// Decodes the row into a tuple, column by column from the first: `row.decode((Int, String).self)`.
    /// Throws ``PostgresError/Code-swift.struct/columnCountMismatch``, naming both counts, when the row
    /// has more or fewer columns than the tuple has elements (decode a subset with ``decode(_:at:)`` or
    /// ``decode(_:columns:)``).
    @inlinable
    public func decode<each T: PostgresDecodable>(_ types: (repeat each T).Type) throws -> (repeat each T) {
        var count = 0
        for _ in repeat (each T).self { count += 1 }
        guard rows.fieldCount == count else { throw _columnCountMismatch(expected: count, swiftType: types) }
        // Note: Swift 6.3 does not specialise the calls a pack expansion makes, so each element still
        // decodes through the generic path (an `Optional` element looks up its metadata at run time).
        var i = 0
        return (repeat try _decodeNext((each T).self, &i))
    }

    @inlinable
    func _decodeNext<U: PostgresDecodable>(_ type: U.Type, _ column: inout Int) throws -> U {
        defer { column += 1 }
        return try _decode(type, at: column)
    }

    /// Decodes the named columns into a tuple: `row.decode((Int, String).self, columns: "id", "token")`.
    /// The row may have other columns too. Throws a decoding error when the number of names differs from
    /// the number of tuple elements.
    public func decode<each T: PostgresDecodable>(
        _ types: (repeat each T).Type, columns names: String...
    ) throws -> (repeat each T) {
        var count = 0
        for _ in repeat (each T).self { count += 1 }
        guard names.count == count else {
            var e = PostgresError(
                code: .decoding, message: "\(names.count) column names for a tuple of \(count) elements", query: rows.query)
            e.swiftType = String(describing: types)
            throw e
        }
        var i = 0
        func next<U: PostgresDecodable>(_ t: U.Type) throws -> U {
            defer { i += 1 }
            return try decode(t, column: names[i])
        }
        return (repeat try next((each T).self))
    }

    // Inlinable so that decoding is specialised in the caller for the concrete type (an `Optional<T>`
    // decoded through the unspecialised path looked up `Optional<T>`'s metadata at run time on every value).
    @inlinable
    func _decode<T: PostgresDecodable>(_ type: T.Type, at column: Int) throws -> T {
        guard column >= 0 && column < rows.fieldCount else {
            throw _columnOutOfRange(column, swiftType: T.self)
        }
        let serverType = rows._type(at: column)
        do {
            guard let bytes = _bytes(at: column) else { return try T._decodeNull(type: serverType) }
            var buffer = PostgresReadBuffer(bytes)
            let value = try T(from: &buffer, type: serverType)
            try buffer.expectEnd()
            return value
        } catch {
            throw _decodingError(error, column: column, swiftType: T.self, serverType: serverType)
        }
    }

    /// The value's bytes in the libpq result, or nil for NULL.
    @usableFromInline
    func _bytes(at column: Int) -> UnsafeRawBufferPointer? {
        let c = Int32(column)
        if PQgetisnull(rows.result, index, c) == 1 { return nil }
        let length = Int(PQgetlength(rows.result, index, c))
        return UnsafeRawBufferPointer(start: UnsafeRawPointer(PQgetvalue(rows.result, index, c)), count: length)
    }

    @usableFromInline
    func _columnOutOfRange(_ column: Int, swiftType: Any.Type) -> PostgresError {
        var e = PostgresError(
            code: .decoding, message: "column index \(column) out of range (\(rows.fieldCount) columns)",
            query: rows.query)
        e.swiftType = String(describing: swiftType)
        return e
    }

    /// The error of a tuple decoder given a row with another number of columns than its tuple's.
    @usableFromInline
    func _columnCountMismatch(expected: Int, swiftType: Any.Type) -> PostgresError {
        let actual = rows.fieldCount
        var e = PostgresError(
            code: .columnCountMismatch,
            message: "a tuple of \(expected) elements cannot decode a row of \(actual) column\(actual == 1 ? "" : "s")",
            query: rows.query)
        e.columnCount = (expected, actual)
        e.swiftType = String(describing: swiftType)
        return e
    }

    @usableFromInline
    func _decodingError(
        _ error: PostgresCodingError, column: Int, swiftType: Any.Type, serverType: PostgresDataType
    ) -> PostgresError {
        PostgresError.decoding(
            error, column: rows.columns[column], swiftType: swiftType, serverType: serverType, query: rows.query)
    }
}

/// A count of live libpq results, shared by a connection and the rows it returned.
final class ResultCounter: Sendable {
    let value = Atomic<Int>(0)
}
