public import LibPQ

/// Where the generated ``Entity/init(reading:)`` gets its column values: from a row by name (any row that
/// holds the columns), or by position, through a plan the query builder computed once for a statement, so
/// decoding a row does no name lookup at all.
///
/// The generated code reads the entity's columns in ``Entity/columnNames`` order: its own, the join
/// columns `@Entity` adds, the embedded structs' (prefixed), then a child's parent's.
public struct ColumnReader {
    @usableFromInline let row: PostgresRow
    /// For a positional reader: the row index of each column read, in reading order (-1: not selected).
    @usableFromInline let positions: [Int]
    /// Whether columns are found by name rather than by ``positions``.
    @usableFromInline let byName: Bool
    @usableFromInline var cursor = 0
    /// For a by-name reader inside an embedded struct: the holder's prefix.
    @usableFromInline var prefix: String?

    /// Reads `row` by column name.
    public init(row: PostgresRow) {
        self.row = row
        self.positions = []
        self.byName = true
    }

    /// Reads `row` by position: `positions[i]` is the row column of the `i`-th column read (-1 when the
    /// statement does not select it).
    public init(row: PostgresRow, positions: [Int]) {
        self.row = row
        self.positions = positions
        self.byName = false
    }

    /// The row index of the next column, or nil when the row does not hold it.
    @inlinable @inline(__always)
    mutating func nextIndex(_ column: String) -> Int? {
        if byName { return index(named: column) }
        let i = cursor
        cursor = i &+ 1
        guard i < positions.count else { return nil }
        let index = positions[i]
        return index >= 0 ? index : nil
    }

    /// The row index of `column` (inside an embedded struct: with its prefix).
    @usableFromInline
    func index(named column: String) -> Int? {
        let name = prefix.map { NamingStrategy.embeddedColumnName(prefix: $0, column) } ?? column
        return row.columnIndex(named: name)
    }

    /// The next column's value, or nil when the row does not hold the column (the property keeps its
    /// default).
    @inlinable @inline(__always)
    public mutating func read<T: PostgresDecodable>(_ type: T.Type, _ column: String) throws -> T? {
        guard let index = nextIndex(column) else { return nil }
        return try row.decode(type, at: index)
    }

    /// The next column's value; throws a decoding error naming the column when the row does not hold it.
    @inlinable @inline(__always)
    public mutating func required<T: PostgresDecodable>(_ type: T.Type, _ column: String) throws -> T {
        guard let index = nextIndex(column) else { throw missing(column, T.self) }
        return try row.decode(type, at: index)
    }

    /// An embedded struct's columns, named with `prefix` when reading by name.
    public mutating func embedded<E: Embeddable>(_ type: E.Type, prefix: String) throws -> E {
        guard byName else { return try E(reading: &self) }
        let outer = self.prefix
        self.prefix = outer.map { NamingStrategy.embeddedColumnName(prefix: $0, prefix) } ?? prefix
        defer { self.prefix = outer }
        return try E(reading: &self)
    }

    @usableFromInline
    func missing(_ column: String, _ type: Any.Type) -> PostgresError {
        let name = prefix.map { NamingStrategy.embeddedColumnName(prefix: $0, column) } ?? column
        var e = PostgresError(code: .decoding, message: "no column named \(row.columnPrefix + name) in the result")
        e.column = row.columnPrefix + name
        e.swiftType = String(describing: type)
        return e
    }
}
