import LibPQ
import TestSupport
import Testing

/// A tuple decode needs a row exactly as wide as the tuple: both the generated fixed-arity decoders and
/// the variadic one throw `columnCountMismatch`, naming both counts, when it is narrower or wider.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct TupleColumnCountTests {
    /// The variadic decoder, as a caller with a parameter pack reaches it.
    private static func variadic<each T: PostgresDecodable>(_ row: PostgresRow, _ types: (repeat each T).Type) throws -> (repeat each T) {
        try row.decode(types)
    }

    private func expectMismatch(
        expected: Int, actual: Int, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
    ) {
        let error = #expect(throws: PostgresError.self, sourceLocation: sourceLocation) { try body() }
        guard let error else { return }
        #expect(error.code == .columnCountMismatch, sourceLocation: sourceLocation)
        #expect(error.columnCount?.expected == expected && error.columnCount?.actual == actual, sourceLocation: sourceLocation)
        #expect(
            error.description.contains("a tuple of \(expected) elements cannot decode a row of \(actual) column"),
            "\(error)", sourceLocation: sourceLocation)
    }

    @Test func aTupleNarrowerThanTheRowThrows() async throws {
        let c = try await TestDatabase.connect()
        let rows = try await c.query("SELECT 1::int4 AS a, 'x'::text AS b, true AS c")
        expectMismatch(expected: 2, actual: 3) { _ = try rows[0].decode((Int32, String).self) }
        expectMismatch(expected: 2, actual: 3) { _ = try Self.variadic(rows[0], (Int32, String).self) }
        expectMismatch(expected: 2, actual: 3) { _ = try rows.decode((Int32, String).self) }
        expectMismatch(expected: 2, actual: 3) { _ = try rows.first(decoding: (Int32, String).self) }
        // One element: the variadic decoder with a pack of one.
        expectMismatch(expected: 1, actual: 3) { _ = try Self.variadic(rows[0], Int32.self) }
        // The exact width decodes.
        let (a, b, flag) = try rows[0].decode((Int32, String, Bool).self)
        #expect(a == 1 && b == "x" && flag)
        let viaPack = try Self.variadic(rows[0], (Int32, String, Bool).self)
        #expect(viaPack.0 == 1 && viaPack.1 == "x" && viaPack.2)
        await c.close()
    }

    @Test func aTupleWiderThanTheRowThrows() async throws {
        let c = try await TestDatabase.connect()
        let rows = try await c.query("SELECT 1::int4, 2::int4")
        expectMismatch(expected: 3, actual: 2) { _ = try rows[0].decode((Int32, Int32, Int32).self) }
        expectMismatch(expected: 3, actual: 2) { _ = try Self.variadic(rows[0], (Int32, Int32, Int32).self) }
        expectMismatch(expected: 16, actual: 2) {
            _ = try rows[0].decode(
                (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32).self)
        }
        // 17 elements: past the fixed-arity overloads, the variadic decoder runs.
        expectMismatch(expected: 17, actual: 2) {
            _ = try rows[0].decode(
                (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32).self)
        }
        let error = try #require(throws: PostgresError.self) { try rows[0].decode((Int32, Int32, Int32).self) }
        #expect(error.swiftType == "(Int32, Int32, Int32)")
        #expect(error.query == "SELECT 1::int4, 2::int4")
        await c.close()
    }

    @Test func anEmptyResultDecodesNoRowsWhateverTheTuple() async throws {
        // No row, nothing to decode: the width is checked per row.
        let c = try await TestDatabase.connect()
        let rows = try await c.query("SELECT 1::int4, 2::int4 WHERE false")
        #expect(try rows.decode((Int32, Int32, Int32).self).isEmpty)
        #expect(try rows.first(decoding: (Int32, Int32, Int32).self) == nil)
        await c.close()
    }

    @Test func namedColumnsMustMatchTheTupleInNumberButNotTheRow() async throws {
        let c = try await TestDatabase.connect()
        let rows = try await c.query("SELECT 1::int4 AS a, 'x'::text AS b, true AS c")
        let (b, a) = try rows[0].decode((String, Int32).self, columns: "b", "a")
        #expect(b == "x" && a == 1)
        let tooMany = try #require(throws: PostgresError.self) { try rows[0].decode((String, Int32).self, columns: "b", "a", "c") }
        #expect(tooMany.code == .decoding && tooMany.description.contains("3 column names for a tuple of 2 elements"))
        let tooFew = try #require(throws: PostgresError.self) { try rows[0].decode((String, Int32, Bool).self, columns: "b", "a") }
        #expect(tooFew.description.contains("2 column names for a tuple of 3 elements"))
        await c.close()
    }
}
