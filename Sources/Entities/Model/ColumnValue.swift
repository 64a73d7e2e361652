public import LibPQ

/// One column of an insert: its name and the value to bind.
public struct ColumnValue: Sendable {
    /// The column name.
    public let column: String
    /// The value; `Optional.none` binds SQL `NULL`.
    public let value: any PostgresEncodable

    /// Pairs a column name with a value.
    public init(_ column: String, _ value: any PostgresEncodable) {
        self.column = column
        self.value = value
    }

    /// Appends the value to a bind list.
    public func append(to bindings: inout PostgresBindings) {
        bindings.append(value)
    }
}

extension [ColumnValue] {
    /// Replaces (or adds) the value of `column`: a child entity sets its parent's discriminator this way.
    public func setting(_ column: String, to value: any PostgresEncodable) -> [ColumnValue] {
        var copy = self
        if let i = copy.firstIndex(where: { $0.column == column }) {
            copy[i] = ColumnValue(column, value)
        } else {
            copy.append(ColumnValue(column, value))
        }
        return copy
    }
}
