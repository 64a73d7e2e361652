import CLibPQ

extension PostgresError {
    /// Builds a server error from a libpq result's error fields.
    static func server(_ result: OpaquePointer, query: String, secrets: [String]) -> PostgresError {
        func field(_ code: UInt8) -> String? {
            guard let p = PQresultErrorField(result, Int32(code)) else { return nil }
            return String(cString: p)
        }
        let sqlState = field(UInt8(ascii: "C")) ?? "XX000"
        let severity = field(UInt8(ascii: "V")) ?? field(UInt8(ascii: "S")) ?? "ERROR"
        var message = field(UInt8(ascii: "M"))
        if message == nil, let p = PQresultErrorMessage(result) {
            message = String(cString: p).trimmingTrailingWhitespace()
        }
        var info = ServerInfo(
            sqlState: sqlState, severity: severity,
            message: Redaction.redact(message ?? "unknown server error", secrets: secrets))
        info.detail = field(UInt8(ascii: "D"))
        info.hint = field(UInt8(ascii: "H"))
        info.position = field(UInt8(ascii: "P")).flatMap { Int($0) }
        info.internalPosition = field(UInt8(ascii: "p")).flatMap { Int($0) }
        info.internalQuery = field(UInt8(ascii: "q"))
        info.context = field(UInt8(ascii: "W"))
        info.schemaName = field(UInt8(ascii: "s"))
        info.tableName = field(UInt8(ascii: "t"))
        info.columnName = field(UInt8(ascii: "c"))
        info.dataTypeName = field(UInt8(ascii: "d"))
        info.constraintName = field(UInt8(ascii: "n"))
        let code: Code = sqlState.hasPrefix("08") || severity == "FATAL" || severity == "PANIC" ? .connection : .server
        return PostgresError(code: code, message: info.message, serverInfo: info, query: query)
    }
}
