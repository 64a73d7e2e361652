import Crypto
import Foundation

/// TypeORM's `DefaultNamingStrategy` (TypeORM 0.3), byte for byte.
///
/// Constraint and index names hash `<table>_<column names sorted, joined by "_">` (plus `_<where>` for
/// partial indexes) with SHA-1 and keep a prefix of the lowercase hex digest: 26 characters after `IDX_`
/// and `REL_`, 27 after `PK_`, `FK_` and `UQ_`. The foreign key name ignores the referenced table.
public enum NamingStrategy {
    /// `tableName(targetName, undefined)`: TypeORM's `snakeCase` of the class name (`AnonymousSession` →
    /// `anonymous_session`).
    public static func tableName(_ entityName: String) -> String {
        snakeCase(entityName)
    }

    /// TypeORM's `snakeCase`: `ABc` → `A_Bc`, then `aB` → `a_B`, then lowercase.
    public static func snakeCase(_ string: String) -> String {
        string
            .replacing(/([A-Z])([A-Z])([a-z])/) { "\($0.1)_\($0.2)\($0.3)" }
            .replacing(/([a-z0-9])([A-Z])/) { "\($0.1)_\($0.2)" }
            .lowercased()
    }

    /// TypeORM's `camelCase`: a leading capital is lowered, a `-`, `_` or whitespace followed by a word
    /// character becomes that character uppercased.
    public static func camelCase(_ string: String) -> String {
        string
            .replacing(/^([A-Z])|[\s\-_](\w)/) { match in
                if let p2 = match.2 { return p2.uppercased() }
                return match.1.map { $0.lowercased() } ?? ""
            }
    }

    /// TypeORM's `titleCase`: each word's first character uppercased, the rest lowercased
    /// (`userAgent` → `Useragent`).
    public static func titleCase(_ string: String) -> String {
        string.replacing(/\w\S*/) { match in
            let word = match.output
            return word.prefix(1).uppercased() + word.dropFirst().lowercased()
        }
    }

    /// The column name of an embedded column: `camelCase(prefix) + titleCase(name)` (`customFields` +
    /// `userAgent` → `customFieldsUseragent`).
    public static func embeddedColumnName(prefix: String, _ name: String) -> String {
        prefix.isEmpty ? name : camelCase(prefix) + titleCase(name)
    }

    /// `PK_` + 27 hex characters.
    public static func primaryKeyName(table: String, columns: [String]) -> String {
        "PK_" + hash(key(table, columns)).prefix(27)
    }

    /// `UQ_` + 27 hex characters.
    public static func uniqueConstraintName(table: String, columns: [String]) -> String {
        "UQ_" + hash(key(table, columns)).prefix(27)
    }

    /// `REL_` + 26 hex characters (the unique constraint of a one-to-one join column).
    public static func relationConstraintName(table: String, columns: [String], where predicate: String? = nil)
        -> String
    {
        "REL_" + hash(key(table, columns, predicate)).prefix(26)
    }

    /// `FK_` + 27 hex characters. TypeORM 0.3 ignores the referenced table and columns.
    public static func foreignKeyName(table: String, columns: [String]) -> String {
        "FK_" + hash(key(table, columns)).prefix(27)
    }

    /// `IDX_` + 26 hex characters; a partial index's condition is part of the key.
    public static func indexName(table: String, columns: [String], where predicate: String? = nil) -> String {
        "IDX_" + hash(key(table, columns, predicate)).prefix(26)
    }

    /// `<table>_<sorted columns joined by _>[_<where>]`, the table's schema part dropped as TypeORM does.
    static func key(_ table: String, _ columns: [String], _ predicate: String? = nil) -> String {
        let tableName = String(table.split(separator: ".", omittingEmptySubsequences: false).last ?? "")
        // JavaScript's default sort compares UTF-16 code units.
        let sorted = columns.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
        var key = "\(tableName)_\(sorted.joined(separator: "_"))"
        if let predicate, !predicate.isEmpty { key += "_\(predicate)" }
        return key
    }

    /// Lowercase hex SHA-1 of the UTF-8 bytes.
    public static func hash(_ string: String) -> String {
        Insecure.SHA1.hash(data: Data(string.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
