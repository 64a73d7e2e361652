/// Why a migration could not run (server errors arrive as LibPQ's `PostgresError` instead).
public struct MigrationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable {
        /// `current_schema()` is NULL: no schema of the `search_path` exists.
        case noSchema
        /// The declared entities do not form a schema (see ``SchemaError``).
        case invalidDeclaration
    }

    /// What went wrong.
    public var code: Code
    /// A sentence naming what is concerned.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "MigrationError.\(code.rawValue): \(message)" }
}
