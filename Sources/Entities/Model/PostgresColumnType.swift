/// Column type names as TypeORM's PostgreSQL driver normalizes and prints them.
public enum PostgresColumnType {
    /// TypeORM's `PostgresDriver.normalizeType` for the names it rewrites (`varchar` → `character varying`,
    /// `int` → `integer`, `timestamp` → `timestamp without time zone`...). Other names pass through.
    public static func normalize(_ type: String) -> String {
        switch type {
        case "int", "int4": "integer"
        case "varchar": "character varying"
        case "timestamp": "timestamp without time zone"
        case "timestamptz": "timestamp with time zone"
        case "time": "time without time zone"
        case "timetz": "time with time zone"
        case "bool": "boolean"
        case "simple-array", "simple-json": "text"
        case "int2": "smallint"
        case "int8": "bigint"
        case "decimal": "numeric"
        case "float8", "float", "double": "double precision"
        case "float4": "real"
        case "char": "character"
        case "varbit": "bit varying"
        default: type
        }
    }

    /// TypeORM's `PostgresDriver.createFullType`: length, precision and scale, and its spelling of the
    /// timestamp and time types (`TIMESTAMP`, `TIMESTAMP(6)`, `TIMESTAMP WITH TIME ZONE`).
    public static func fullType(_ column: ColumnMetadata) -> String {
        var type = column.type
        if let length = column.length {
            type += "(\(length))"
        } else if let precision = column.precision, let scale = column.scale {
            type += "(\(precision),\(scale))"
        } else if let precision = column.precision {
            type += "(\(precision))"
        }
        let p = column.precision.map { "(\($0))" } ?? ""
        switch column.type {
        case "time without time zone": type = "TIME" + p
        case "time with time zone": type = "TIME" + p + " WITH TIME ZONE"
        case "timestamp without time zone": type = "TIMESTAMP" + p
        case "timestamp with time zone": type = "TIMESTAMP" + p + " WITH TIME ZONE"
        default: break
        }
        return type
    }
}
