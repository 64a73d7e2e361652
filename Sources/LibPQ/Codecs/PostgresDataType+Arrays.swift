extension PostgresDataType {
    /// The element type of a built-in one-dimensional array type this package knows (`int4` for
    /// `int4[]`), or `nil` for any other type.
    public var arrayElementType: PostgresDataType? {
        switch self {
        case .boolArray: .bool
        case .byteaArray: .bytea
        case .charArray: .char
        case .nameArray: .name
        case .int2Array: .int2
        case .int4Array: .int4
        case .int8Array: .int8
        case .textArray: .text
        case .varcharArray: .varchar
        case .bpcharArray: .bpchar
        case .oidArray: .oid
        case .float4Array: .float4
        case .float8Array: .float8
        case .timestampArray: .timestamp
        case .timestamptzArray: .timestamptz
        case .dateArray: .date
        case .numericArray: .numeric
        case .uuidArray: .uuid
        case .jsonArray: .json
        case .jsonbArray: .jsonb
        default: nil
        }
    }
}
