import Testing

@testable import LibPQ

/// `PostgresError` keeps its fields in a shared copy-on-write box: copies must still behave as values.
@Suite struct PostgresErrorTests {
    @Test func copiesAreIndependentValues() {
        var info = PostgresError.ServerInfo(sqlState: "23503", severity: "ERROR", message: "violates foreign key")
        info.constraintName = "FK_session_order"
        let original = PostgresError(code: .server, message: info.message, serverInfo: info, query: "DELETE FROM \"order\"")
        var copy = original
        copy.query = "another statement"
        copy.serverInfo?.detail = "Key (id)=(2) is still referenced"
        copy.column = "token"
        copy.swiftType = "String"
        copy.serverType = .text
        copy.parameterIndex = 2
        copy.message = "changed"

        #expect(original.query == "DELETE FROM \"order\"")
        #expect(original.serverInfo?.detail == nil)
        #expect(original.column == nil && original.swiftType == nil && original.serverType == nil)
        #expect(original.parameterIndex == nil)
        #expect(original.message == "violates foreign key")
        #expect(original.sqlState == "23503")

        #expect(copy.query == "another statement")
        #expect(copy.serverInfo?.detail == "Key (id)=(2) is still referenced")
        #expect(copy.serverInfo?.constraintName == "FK_session_order")
        #expect(copy.sqlState == "23503")
        #expect(copy.column == "token" && copy.swiftType == "String" && copy.serverType == .text)
        #expect(copy.parameterIndex == 2 && copy.message == "changed")
    }

    @Test func anErrorIsSmall() {
        // The point of the box: results and optionals carrying an error on the query path stay small.
        #expect(MemoryLayout<PostgresError>.size <= 16)
        #expect(MemoryLayout<Result<Int, PostgresError>>.size <= 17)
    }

    @Test func aMutatedUniqueErrorKeepsItsOtherFields() {
        var error = PostgresError(code: .decoding, message: "bad value", query: "SELECT 1")
        error.column = "id"
        error.parameterIndex = 1
        error.query = nil
        #expect(error.column == "id" && error.parameterIndex == 1 && error.query == nil)
        #expect(error.message == "bad value" && error.code == .decoding)
        #expect(error.description.contains("[column id"))
    }

    @Test func reflectionShowsTheFieldsNotTheBox() {
        let error = PostgresError(code: .timeout, message: "timed out", query: "SELECT pg_sleep(10)")
        let labels = Mirror(reflecting: error).children.compactMap(\.label)
        #expect(labels.contains("message") && labels.contains("code") && labels.contains("statementNotSent"))
        #expect(!labels.contains("details"))
        var dumped = ""
        dump(error, to: &dumped)
        #expect(dumped.contains("timed out"))
    }

    /// A server error as libpq reports a unique violation whose value is a session token.
    private static func uniqueViolation(value: String) -> PostgresError {
        var info = PostgresError.ServerInfo(
            sqlState: "23505", severity: "ERROR", message: "duplicate key value violates unique constraint \"IDX_token\"")
        info.detail = "Key (token)=(\(value)) already exists."
        info.hint = "hint quoting \(value)"
        info.context = "SQL function quoting \(value)"
        info.internalQuery = "SELECT '\(value)'"
        info.schemaName = "public"
        info.tableName = "session"
        info.columnName = "token"
        info.constraintName = "IDX_token"
        info.position = 12
        return PostgresError(code: .server, message: info.message, serverInfo: info, query: "INSERT INTO session VALUES ('\(value)')")
    }

    @Test func descriptionOfAServerErrorShowsCodeSQLStateAndNamesButNoServerTextOrSQL() {
        let secret = "3f2a9c0e5b7d41a8" + String(repeating: "e", count: 48)
        let error = Self.uniqueViolation(value: secret)
        #expect(
            error.description
                == "PostgresError(server): ERROR 23505 unique_violation (constraint IDX_token, table public.session, column token) at character 12")
        #expect(!"\(error)".contains(secret))
        #expect(!error.localizedDescription.contains(secret))
    }

    @Test func debugDescriptionHasEveryServerFieldAndTheSQL() {
        let secret = "s3cr3t-value-\(UInt64.random(in: 1...UInt64.max))"
        let full = String(reflecting: Self.uniqueViolation(value: secret))
        #expect(full.hasPrefix("PostgresError(server): ERROR 23505 unique_violation"))
        for part in [
            "message: duplicate key value violates unique constraint \"IDX_token\"", "detail: Key (token)=(\(secret)) already exists.",
            "hint: hint quoting \(secret)", "context: SQL function quoting \(secret)", "internal query: SELECT '\(secret)'",
            "query: INSERT INTO session VALUES ('\(secret)')",
        ] {
            #expect(full.contains(part), "\(part)")
        }
    }

    @Test func dumpIsADetailChannelLikeDebugDescription() {
        // `dump` prints `debugDescription` first, so the mirror shows the same fields in full.
        let secret = "s3cr3t-value-\(UInt64.random(in: 1...UInt64.max))"
        let error = Self.uniqueViolation(value: secret)
        var dumped = ""
        dump(error, to: &dumped)
        #expect(dumped.hasPrefix("▿ " + error.debugDescription))
        let labels = Set(Mirror(reflecting: error).children.compactMap(\.label))
        #expect(labels == [
            "code", "message", "serverInfo", "query", "column", "swiftType", "serverType", "parameterIndex", "columnCount",
            "statementNotSent",
        ])
        let info = Mirror(reflecting: error).children.first { $0.label == "serverInfo" }?.value as? PostgresError.ServerInfo
        #expect(info?.detail?.contains(secret) == true)
    }

    @Test func aCodecReasonIsShownByKindInTheDescriptionAndInFullInTheDebugDescription() {
        let reason = PostgresCodingError.malformed("JSON decoding failed: Cannot initialize Kind from invalid String value hunter2")
        let decoding = PostgresError.decoding(
            reason, column: "prefs", swiftType: Int.self, serverType: .jsonb, query: "SELECT prefs FROM account")
        #expect(decoding.description == "PostgresError(decoding): malformed value [column prefs, Swift type Int, server type jsonb]")
        #expect(String(reflecting: decoding).contains("reason: malformed value: JSON decoding failed: Cannot initialize Kind from invalid String value hunter2"))
        #expect(decoding.message.contains("hunter2"))  // the property keeps it

        let encoding = PostgresError.encoding(.invalidValue("JSON encoding failed: hunter2"), parameter: 2, query: "UPDATE t SET j = $2")
        #expect(encoding.description == "PostgresError(encoding): invalid value [parameter $2]")
        #expect(String(reflecting: encoding).contains("hunter2"))
        // A message set afterwards is this package's own text again, and shown.
        var replaced = encoding
        replaced.message = "the script contains a NUL byte"
        #expect(replaced.description == "PostgresError(encoding): the script contains a NUL byte [parameter $2]")
        #expect(encoding.description == "PostgresError(encoding): invalid value [parameter $2]")
    }

    @Test func ownMessagesStayInTheDescriptionAndTheSQLDoesNot() {
        let error = PostgresError(code: .timeout, message: "timed out after 100 ms before it was sent", query: "ALTER ROLE app PASSWORD 'hunter2'")
        #expect(error.description == "PostgresError(timeout): timed out after 100 ms before it was sent")
        #expect(String(reflecting: error).hasSuffix("\n  query: ALTER ROLE app PASSWORD 'hunter2'"))
    }

    @Test(arguments: [
        ("23505", "unique_violation"), ("23503", "foreign_key_violation"), ("40001", "serialization_failure"),
        ("22P02", "invalid_text_representation"), ("57014", "query_canceled"),
        ("23999", "integrity_constraint_violation"), ("42999", "syntax_error_or_access_rule_violation"),
    ])
    func sqlStatesGetTheirConditionName(_ sqlState: String, _ name: String) {
        #expect(PostgresError.conditionName(sqlState: sqlState) == name)
    }

    @Test func anUnknownSQLStateClassHasNoName() {
        #expect(PostgresError.conditionName(sqlState: "ZZ123") == nil)
        let info = PostgresError.ServerInfo(sqlState: "ZZ123", severity: "ERROR", message: "odd")
        #expect(PostgresError(code: .server, message: "odd", serverInfo: info).description == "PostgresError(server): ERROR ZZ123")
    }
}
