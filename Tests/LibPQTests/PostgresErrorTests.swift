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
        #expect(labels.contains("message") && labels.contains("query") && labels.contains("code"))
        #expect(!labels.contains("details"))
        var dumped = ""
        dump(error, to: &dumped)
        #expect(dumped.contains("SELECT pg_sleep(10)"))
    }
}
