/// Walks the columns an entity's properties hold, with their key paths; the generated
/// ``Entity/visitColumns(_:)`` calls it once per column, embedded and inherited columns included.
public protocol ColumnVisitor {
    /// The type whose key paths are visited.
    associatedtype Root
    /// Called for each column. Return `false` to stop the walk.
    mutating func visit<Value>(_ keyPath: WritableKeyPath<Root, Value>, column: String) -> Bool
}

/// Visits an embedded struct's columns as columns of the entity holding it, with prefixed names.
public struct EmbeddedColumnVisitor<Outer: ColumnVisitor, Embedded>: ColumnVisitor {
    public typealias Root = Embedded
    /// The visitor of the entity.
    public var outer: Outer
    let path: WritableKeyPath<Outer.Root, Embedded>
    let prefix: String

    /// Creates a visitor that forwards to `outer` through `path`.
    public init(outer: Outer, path: WritableKeyPath<Outer.Root, Embedded>, prefix: String) {
        self.outer = outer
        self.path = path
        self.prefix = prefix
    }

    public mutating func visit<Value>(_ keyPath: WritableKeyPath<Embedded, Value>, column: String) -> Bool {
        outer.visit(path.appending(path: keyPath), column: NamingStrategy.embeddedColumnName(prefix: prefix, column))
    }
}

/// Visits a parent entity's columns as columns of a child entity: once through `base`, once through the
/// child's dynamic member subscript (the key path `\Child.token` is the latter).
public struct ParentColumnVisitor<Outer: ColumnVisitor>: ColumnVisitor
where Outer.Root: ChildEntity {
    public typealias Root = Outer.Root.Parent
    /// The visitor of the child entity.
    public var outer: Outer
    /// `\Child.base`, formed where the child's type is concrete (a key path formed through the protocol
    /// requirement would not compare equal to the one callers write).
    let basePath: WritableKeyPath<Outer.Root, Root>
    /// Whether to also visit the dynamic-member key path of each column.
    let includeDynamicMembers: Bool

    /// Creates a visitor that forwards to `outer` through `basePath`.
    public init(outer: Outer, basePath: WritableKeyPath<Outer.Root, Root>, includeDynamicMembers: Bool) {
        self.outer = outer
        self.basePath = basePath
        self.includeDynamicMembers = includeDynamicMembers
    }

    public mutating func visit<Value>(_ keyPath: WritableKeyPath<Root, Value>, column: String) -> Bool {
        guard outer.visit(basePath.appending(path: keyPath), column: column) else { return false }
        if includeDynamicMembers {
            let memberPath: WritableKeyPath<Outer.Root, Value> = \.[dynamicMember: keyPath]
            return outer.visit(memberPath, column: column)
        }
        return true
    }
}

/// Collects column names (used by ``Entity/columnNames``).
struct ColumnNameCollector<Root>: ColumnVisitor {
    var names: [String] = []
    mutating func visit<Value>(_ keyPath: WritableKeyPath<Root, Value>, column: String) -> Bool {
        // An inherited column is visited twice (through `base` and as a dynamic member).
        if !names.contains(column) { names.append(column) }
        return true
    }
}

/// Finds the column of a key path (used by the generated ``Entity/column(for:)`` for embedded and inherited
/// columns).
public struct ColumnLookup<Root>: ColumnVisitor {
    let target: PartialKeyPath<Root>
    /// The column found, if any.
    public private(set) var column: String?

    /// Creates a lookup for `target`.
    public init(_ target: PartialKeyPath<Root>) { self.target = target }

    public mutating func visit<Value>(_ keyPath: WritableKeyPath<Root, Value>, column: String) -> Bool {
        if keyPath == target {
            self.column = column
            return false
        }
        return true
    }
}
