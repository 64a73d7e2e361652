/// A PostgreSQL type, identified by its OID (`pg_type.oid`).
///
/// Only built-in types have fixed OIDs; the constants below are the ones this package encodes and decodes.
public struct PostgresDataType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The type's OID.
    public var rawValue: UInt32

    /// Creates a type from its OID.
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// Creates a type from its OID.
    public init(_ oid: UInt32) { self.rawValue = oid }

    /// Lets the server infer the type of a parameter (OID 0).
    public static let unspecified = PostgresDataType(0)
    public static let bool = PostgresDataType(16)
    public static let bytea = PostgresDataType(17)
    public static let char = PostgresDataType(18)
    public static let name = PostgresDataType(19)
    public static let int8 = PostgresDataType(20)
    public static let int2 = PostgresDataType(21)
    public static let int4 = PostgresDataType(23)
    public static let text = PostgresDataType(25)
    public static let oid = PostgresDataType(26)
    public static let json = PostgresDataType(114)
    public static let float4 = PostgresDataType(700)
    public static let float8 = PostgresDataType(701)
    public static let unknown = PostgresDataType(705)
    public static let bpchar = PostgresDataType(1042)
    public static let varchar = PostgresDataType(1043)
    public static let date = PostgresDataType(1082)
    public static let timestamp = PostgresDataType(1114)
    public static let timestamptz = PostgresDataType(1184)
    public static let numeric = PostgresDataType(1700)
    public static let uuid = PostgresDataType(2950)
    public static let jsonb = PostgresDataType(3802)

    public static let boolArray = PostgresDataType(1000)
    public static let charArray = PostgresDataType(1002)
    public static let bpcharArray = PostgresDataType(1014)
    public static let oidArray = PostgresDataType(1028)
    public static let byteaArray = PostgresDataType(1001)
    public static let nameArray = PostgresDataType(1003)
    public static let int2Array = PostgresDataType(1005)
    public static let int4Array = PostgresDataType(1007)
    public static let textArray = PostgresDataType(1009)
    public static let varcharArray = PostgresDataType(1015)
    public static let int8Array = PostgresDataType(1016)
    public static let float4Array = PostgresDataType(1021)
    public static let float8Array = PostgresDataType(1022)
    public static let timestampArray = PostgresDataType(1115)
    public static let dateArray = PostgresDataType(1182)
    public static let timestamptzArray = PostgresDataType(1185)
    public static let numericArray = PostgresDataType(1231)
    public static let uuidArray = PostgresDataType(2951)
    public static let jsonArray = PostgresDataType(199)
    public static let jsonbArray = PostgresDataType(3807)

    /// The SQL name of well-known types, or `oid <n>`.
    public var description: String {
        switch self {
        case .unspecified: "unspecified"
        case .bool: "boolean"
        case .bytea: "bytea"
        case .char: "\"char\""
        case .name: "name"
        case .int8: "bigint"
        case .int2: "smallint"
        case .int4: "integer"
        case .text: "text"
        case .oid: "oid"
        case .json: "json"
        case .float4: "real"
        case .float8: "double precision"
        case .unknown: "unknown"
        case .bpchar: "character"
        case .varchar: "character varying"
        case .date: "date"
        case .timestamp: "timestamp without time zone"
        case .timestamptz: "timestamp with time zone"
        case .numeric: "numeric"
        case .uuid: "uuid"
        case .jsonb: "jsonb"
        case .boolArray: "boolean[]"
        case .charArray: "\"char\"[]"
        case .bpcharArray: "character[]"
        case .oidArray: "oid[]"
        case .byteaArray: "bytea[]"
        case .nameArray: "name[]"
        case .int2Array: "smallint[]"
        case .int4Array: "integer[]"
        case .textArray: "text[]"
        case .varcharArray: "character varying[]"
        case .int8Array: "bigint[]"
        case .float4Array: "real[]"
        case .float8Array: "double precision[]"
        case .timestampArray: "timestamp without time zone[]"
        case .dateArray: "date[]"
        case .timestamptzArray: "timestamp with time zone[]"
        case .numericArray: "numeric[]"
        case .uuidArray: "uuid[]"
        case .jsonArray: "json[]"
        case .jsonbArray: "jsonb[]"
        default: "oid \(rawValue)"
        }
    }
}
