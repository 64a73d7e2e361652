import Foundation
import LibPQ
import TestSupport
import Testing

@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct ConnectionTests {
    @Test func selectsOneValue() async throws {
        let c = try await TestDatabase.connect()
        let rows = try await c.query("SELECT \(Int64(41)) + 1 AS answer")
        #expect(rows.count == 1)
        #expect(rows.columns == ["answer"])
        #expect(try rows[0].decode(Int64.self, column: "answer") == 42)
        await c.close()
    }
}
