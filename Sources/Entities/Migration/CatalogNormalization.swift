import Foundation

/// How a declared column compares with what the catalog reports: PostgreSQL prints types with
/// `format_type` (`timestamp(3) without time zone`, never `TIMESTAMP(3)`), turns `SERIAL` into `integer`
/// with a `nextval(...)` default, and adds casts to defaults (`'Regular'::character varying`).
public enum CatalogNormalization {
    /// The type `format_type` prints for a declared column: `SERIAL` is `integer`, `TIMESTAMP(3)` is
    /// `timestamp(3) without time zone`, `character varying(255)` stays as it is.
    public static func expectedType(_ column: TableColumn) -> String {
        let modifier = column.fullType.firstIndex(of: "(").map { start -> String in
            let tail = column.fullType[start...]
            return String(tail.prefix { $0 != ")" }) + ")"
        }
        switch column.type {
        case "timestamp without time zone", "timestamp with time zone", "time without time zone",
            "time with time zone":
            guard let modifier else { return column.type }
            let parts = column.type.split(separator: " ", maxSplits: 1)
            return "\(parts[0])\(modifier) \(parts[1])"
        default:
            return normalizeType(modifier.map { column.type + $0 } ?? column.type)
        }
    }

    /// A type name in the spelling `format_type` uses, lower-cased, aliases resolved.
    public static func normalizeType(_ type: String) -> String {
        let lowered = type.lowercased().trimmingCharacters(in: .whitespaces)
        var base = lowered
        var modifier = ""
        if let open = lowered.firstIndex(of: "("), !lowered.hasPrefix("timestamp"), !lowered.hasPrefix("time") {
            base = String(lowered[..<open]).trimmingCharacters(in: .whitespaces)
            modifier = String(lowered[open...]).replacingOccurrences(of: " ", with: "")
        }
        base = PostgresColumnType.normalize(base)
        if base == "character", modifier.isEmpty { modifier = "(1)" }
        return base + modifier
    }

    /// Whether a catalog default is the `nextval(...)` of a `SERIAL` column.
    public static func isSequenceDefault(_ sql: String?) -> Bool {
        sql?.hasPrefix("nextval(") == true
    }

    /// A default expression with the casts PostgreSQL adds removed and quoted numbers unquoted, so a
    /// declared `'Regular'` equals the catalog's `'Regular'::character varying` and a declared `'0'` on an
    /// integer column equals the catalog's `0`.
    public static func normalizeDefault(_ sql: String?) -> String? {
        guard var s = sql?.trimmingCharacters(in: .whitespaces), !s.isEmpty else { return nil }
        // Strip a trailing cast after a literal or parenthesised expression: 'x'::character varying, (-1)::integer.
        while let range = s.range(of: "::", options: .backwards) {
            let cast = s[range.upperBound...]
            let allowed = cast.allSatisfy {
                $0.isLetter || $0.isNumber || " _[](),".contains($0)
            }
            let balanced = cast.filter { $0 == "(" }.count == cast.filter { $0 == ")" }.count
            guard allowed, balanced else { break }
            s = String(s[..<range.lowerBound])
        }
        if s.hasPrefix("("), s.hasSuffix(")") { s = String(s.dropFirst().dropLast()) }
        if s.hasPrefix("'"), s.hasSuffix("'"), s.count >= 2 {
            let inner = s.dropFirst().dropLast()
            if !inner.isEmpty, Double(inner) != nil { s = String(inner) }
        }
        switch s.lowercased() {
        case "current_timestamp", "now()", "transaction_timestamp()": return "now()"
        case "true", "false": return s.lowercased()
        default: return s
        }
    }

    /// Whether a declared column's default matches the catalog's.
    public static func defaultMatches(_ declared: TableColumn, _ catalog: CatalogColumn) -> Bool {
        if declared.generation == .increment { return isSequenceDefault(catalog.defaultSQL) }
        let expected = declared.defaultSQL ?? (declared.generation == .uuid ? "uuid_generate_v4()" : nil)
        return normalizeDefault(expected) == normalizeDefault(catalog.defaultSQL)
    }
}
