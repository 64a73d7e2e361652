/// A SQL statement with its parameters, built by string interpolation.
///
/// Every interpolated value becomes a `$n` placeholder bound in binary format, so values never enter the
/// SQL text:
/// ```swift
/// let query: PostgresQuery = "SELECT id FROM session WHERE token = \(token) AND expires > \(now)"
/// ```
/// Identifiers (table and column names) enter only through ``StringInterpolation/appendInterpolation(identifier:)``,
/// which quotes them. Trusted SQL fragments built by this package's own generators enter through
/// ``StringInterpolation/appendInterpolation(unescaped:)``.
public struct PostgresQuery: Sendable, Hashable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The SQL text, with `$1`, `$2`... placeholders.
    public var sql: String
    /// The encoded parameters.
    public var binds: PostgresBindings
    /// Whether the statement only reads. Read-only statements that callers submit at the same time to one
    /// connection may share a pipeline sync point, so the server runs them as one implicit transaction with
    /// `transaction_read_only` on and answers them with one network write instead of one each. Default
    /// false. A statement marked read-only that writes fails with SQLSTATE 25006 when it shares a sync
    /// point; see ``readOnly(_:)`` and ``PostgresConfiguration/groupsReadOnlyQueries``. ``PostgresPool``
    /// also runs a read-only statement again when its connection broke under it: mark only statements
    /// that really just read.
    public var isReadOnly = false

    /// Creates a query from SQL text and already-encoded parameters.
    public init(unsafeSQL sql: String, binds: PostgresBindings = PostgresBindings()) {
        self.sql = sql
        self.binds = binds
    }

    public init(stringLiteral value: String) {
        self.sql = value
        self.binds = PostgresBindings()
    }

    public init(stringInterpolation: StringInterpolation) {
        self.sql = stringInterpolation.sql
        self.binds = stringInterpolation.binds
        if binds.deferredError == nil, let e = stringInterpolation.identifierError {
            binds.deferredError = e
        }
    }

    /// This query marked read-only (or not): see ``isReadOnly``.
    ///
    /// ```swift
    /// let lookup: PostgresQuery = "SELECT * FROM session WHERE token = \(token)"
    /// let rows = try await pool.query(lookup.readOnly())
    /// ```
    // Consuming: `query.readOnly()` on a query not used afterwards moves it instead of copying (retaining
    // its text and buffers, then releasing the original's).
    public consuming func readOnly(_ readOnly: Bool = true) -> PostgresQuery {
        var copy = self
        copy.isReadOnly = readOnly
        return copy
    }

    /// Whether `sql`'s first keyword, after white space, `(` and comments, is `BEGIN` or `START`.
    static func startsTransaction(_ sql: String) -> Bool {
        firstKeyword(of: sql, length: 5) { $0 == "begin" || $0 == "start" }
    }

    /// Whether `sql` is a single `INSERT`, `UPDATE` or `DELETE` (its first keyword, after white space,
    /// `(` and comments): a write whose only effects are in the database, so that it may share an
    /// implicit transaction with other callers' writes and run again after that transaction rolled back
    /// (see ``PostgresConfiguration/groupsWrites``). No string is built: this runs for every write.
    static func isGroupableWrite(_ sql: String) -> Bool {
        var sql = sql
        return sql.withUTF8 { bytes in
            var i = 0
            while i < bytes.count {
                let c = bytes[i]
                guard c == 0x20 || (c >= 0x09 && c <= 0x0D) else { break }
                i += 1
            }
            // A comment or "(" first: not worth parsing here; such a statement is sent on its own.
            guard i + 6 <= bytes.count else { return false }
            if i + 6 < bytes.count {
                let end = bytes[i + 6]
                let next = end | 0x20
                if (next >= 0x61 && next <= 0x7A) || (end >= 0x30 && end <= 0x39) || end == 0x5F || end >= 0x80 {
                    return false
                }
            }
            func matches(_ word: StaticString) -> Bool {
                let w = word.utf8Start
                for k in 0..<6 where bytes[i + k] | 0x20 != w[k] { return false }
                return true
            }
            return matches("insert") || matches("update") || matches("delete")
        }
    }

    /// Whether `sql`'s first keyword, after white space, `(` and comments, is `LISTEN`.
    static func startsListen(_ sql: String) -> Bool {
        firstKeyword(of: sql, length: 6) { $0 == "listen" }
    }

    /// Whether `sql`'s first keyword is `length` bytes long and, lowercased, satisfies `matches`.
    @inline(__always)
    private static func firstKeyword(of sql: String, length: Int, _ matches: (String) -> Bool) -> Bool {
        // Native strings are contiguous UTF-8: read them in place (this runs for every pooled query).
        if let answer = sql.utf8.withContiguousStorageIfAvailable({ firstKeyword(utf8: $0, length: length, matches) }) {
            return answer
        }
        return Array(sql.utf8).withUnsafeBufferPointer { firstKeyword(utf8: $0, length: length, matches) }
    }

    private static func firstKeyword(
        utf8 bytes: UnsafeBufferPointer<UInt8>, length: Int, _ matches: (String) -> Bool
    ) -> Bool {
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x20 || (c >= 0x09 && c <= 0x0D) || c == 0x28 {  // space, \t \n \v \f \r, "("
                i += 1
            } else if c == 0x2D, i + 1 < bytes.count, bytes[i + 1] == 0x2D {  // -- comment
                while i < bytes.count && bytes[i] != 0x0A { i += 1 }
            } else if c == 0x2F, i + 1 < bytes.count, bytes[i + 1] == 0x2A {  // /* comment */, nested as in PostgreSQL
                i += 2
                var depth = 1
                while depth > 0 && i + 1 < bytes.count {
                    if bytes[i] == 0x2A && bytes[i + 1] == 0x2F {
                        depth -= 1
                        i += 2
                    } else if bytes[i] == 0x2F && bytes[i + 1] == 0x2A {
                        depth += 1
                        i += 2
                    } else {
                        i += 1
                    }
                }
                if depth > 0 { return false }
            } else {
                break
            }
        }
        guard i + length <= bytes.count else { return false }
        if i + length < bytes.count {  // the keyword must end there
            let end = bytes[i + length]
            let next = end | 0x20
            if (next >= 0x61 && next <= 0x7A) || (end >= 0x30 && end <= 0x39) || end == 0x5F || end >= 0x80 {
                return false
            }
        }
        return matches(String(decoding: bytes[i..<i + length], as: UTF8.self).lowercased())
    }

    /// The SQL text only; bound values are never printed.
    public var description: String { sql }

    /// Appends a `$n` placeholder bound to `value`.
    public mutating func appendBind<T: PostgresEncodable>(_ value: T) {
        binds.append(value)
        sql += "$\(binds.count)"
    }

    /// Appends trusted SQL text (never user input).
    public mutating func appendUnescaped(_ fragment: String) {
        sql += fragment
    }

    /// Appends a quoted identifier.
    public mutating func appendIdentifier(_ name: String) {
        do {
            sql += try PostgresQuery.quoteIdentifier(name)
        } catch {
            if binds.deferredError == nil { binds.deferredError = error }
            sql += "\"\""
        }
    }

    /// Quotes an identifier the way PostgreSQL's `quote_ident` does: `"` around it, inner `"` doubled.
    /// Throws for an empty name or one that contains a NUL byte.
    public static func quoteIdentifier(_ name: String) throws(PostgresCodingError) -> String {
        guard !name.isEmpty else { throw .invalidValue("an identifier cannot be empty") }
        guard !name.utf8.contains(0) else { throw .invalidValue("an identifier cannot contain a NUL byte") }
        return "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Builds the SQL text and binds of a ``PostgresQuery``.
    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        public typealias StringLiteralType = String

        @usableFromInline var sql: String
        @usableFromInline var binds: PostgresBindings
        @usableFromInline var identifierError: PostgresCodingError?

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql = ""
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            binds = PostgresBindings(capacity: interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// Binds a value as the next `$n` parameter.
        @inlinable public mutating func appendInterpolation<T: PostgresEncodable>(_ value: T) {
            binds.append(value)
            sql += "$"
            sql += String(binds.count)
        }

        /// Binds an optional value as the next `$n` parameter (`nil` is `NULL`). Same as the non-optional
        /// overload; it exists so the compiler does not warn that an optional is being interpolated.
        @inlinable public mutating func appendInterpolation<T: PostgresEncodable>(_ value: T?) {
            binds.append(value)
            sql += "$"
            sql += String(binds.count)
        }

        /// Inserts a quoted identifier (`"name"`), for table and column names chosen at run time.
        public mutating func appendInterpolation(identifier: String) {
            do {
                sql += try PostgresQuery.quoteIdentifier(identifier)
            } catch {
                if identifierError == nil { identifierError = error }
                sql += "\"\""
            }
        }

        /// Inserts a quoted, schema-qualified name (`"schema"."name"`).
        public mutating func appendInterpolation(identifier: String, schema: String) {
            appendInterpolation(identifier: schema)
            sql += "."
            appendInterpolation(identifier: identifier)
        }

        /// Inserts SQL text as is. Only for fragments that come from code, never from user input.
        public mutating func appendInterpolation(unescaped fragment: String) {
            sql += fragment
        }
    }
}

extension String {
    @usableFromInline func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
