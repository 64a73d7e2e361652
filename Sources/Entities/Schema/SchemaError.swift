/// Why a set of entity declarations cannot become a schema.
public struct SchemaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable {
        /// An identifier is longer than PostgreSQL's 63 bytes (it would be truncated silently).
        case identifierTooLong
        /// A table has two columns of the same name.
        case duplicateColumn
        /// A table has no primary key.
        case missingPrimaryKey
        /// An index names a property or column the entity does not have.
        case unknownColumn
        /// A relation's target (or a child's parent) is not among the entities given.
        case missingEntity
        /// Two entities map to the same table without inheritance.
        case duplicateTable
    }

    /// What went wrong.
    public var code: Code
    /// A sentence naming the entity and identifier concerned.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "SchemaError.\(code.rawValue): \(message)" }
}
