#if Hummingbird
@testable import HummingbirdPostgresSessions
import HTTPTypes
import Hummingbird
import LibPQ
import Testing

/// The parts of the middleware that need no server.
struct SessionTokenExtractionTests {
    @Test(arguments: [
        ("Bearer abc", "abc"), ("bearer abc", "abc"), ("BEARER\tabc", "abc"), ("  Bearer abc  ", "abc"),
        ("Bearer a b", "a b"), ("\tbEaReR  abc", " abc"), ("Bearer é", "é"),
    ])
    func bearerHeadersAreParsedAsVendureParsesThem(header: String, token: String) {
        #expect(PostgresSessionConfiguration.bearerToken(header) == token)
    }

    @Test(arguments: ["Bearer", "Bearer ", "Basic abc", "Bearerabc", "", "Token abc", "Bëarer abc", "Bearer\u{0}abc", "Bearer\nabc"])
    func otherAuthorizationHeadersCarryNoToken(header: String) {
        #expect(PostgresSessionConfiguration.bearerToken(header) == nil)
    }

    @Test func outagesAreToldApartFromOtherErrors() {
        #expect(PostgresSessionError.isDatabaseUnavailable(PostgresError(code: .connection, message: "x")))
        #expect(PostgresSessionError.isDatabaseUnavailable(PostgresError(code: .timeout, message: "x")))
        #expect(PostgresSessionError.isDatabaseUnavailable(PostgresError(code: .poolShutdown, message: "x")))
        #expect(!PostgresSessionError.isDatabaseUnavailable(PostgresError(code: .decoding, message: "x")))
        #expect(!PostgresSessionError.isDatabaseUnavailable(CancellationError()))
    }

    @Test func errorStatusesAndTexts() {
        #expect(PostgresSessionError(code: .databaseUnavailable).status == .serviceUnavailable)
        #expect(PostgresSessionError(code: .authenticationRequired).status == .unauthorized)
        #expect(PostgresSessionError(code: .forbidden).status == .forbidden)
        #expect(PostgresSessionError(code: .unknownChannel).status == .badRequest)
        #expect(PostgresSessionError(code: .databaseUnavailable).description == "PostgresSessionError(databaseUnavailable)")
    }
}
#endif
