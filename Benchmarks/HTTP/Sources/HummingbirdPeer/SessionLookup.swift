import Foundation
import PeerSupport
import PostgresNIO

/// The session store's lookup statement, run through postgres-nio's best path (a named prepared
/// statement): the session's columns joined with its user, active order and active channel, `$1` the
/// token, `$2` now.
struct SessionLookup: PostgresPreparedStatement {
    /// A copy of `SessionSQL.lookup` (Sources/Sessions/Store/SessionStatements.swift, built from the entity
    /// declarations), as Tests/SessionsTests/SessionSQLTextTests.swift pins it; scripts/bench-http stops when
    /// the two differ. Copied rather than imported so that this package does not build the root's modules.
    static let sql = #"SELECT "session"."token", "session"."expires", "session"."id", "session"."activeOrderId", "session"."activeChannelId", "session"."type", "session"."authenticationStrategy", "session"."userId", "user"."identifier", "user"."verified", "activeOrder"."code", "activeOrder"."state", "activeChannel"."code", "activeChannel"."token" FROM "session" LEFT JOIN "user" "user" ON "user"."id" = "session"."userId" LEFT JOIN "order" "activeOrder" ON "activeOrder"."id" = "session"."activeOrderId" LEFT JOIN "channel" "activeChannel" ON "activeChannel"."id" = "session"."activeChannelId" WHERE ((("session"."token" = $1 AND "session"."invalidated" = false) AND "session"."expires" > $2) AND "user"."deletedAt" IS NULL)"#

    typealias Row = SessionBody.Session

    var token: String
    var now: Date

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(token)
        bindings.append(now)
        return bindings
    }

    /// The positions of the columns the body needs in ``sql``'s select list, found by name once, so that a
    /// new copy of the statement with other columns needs no change here.
    enum Column {
        static let names = String(sql.dropFirst("SELECT ".count)).components(separatedBy: " FROM ")[0]
            .components(separatedBy: ", ")
        static func position(_ name: String) -> Int {
            guard let index = names.firstIndex(of: name) else { fatalError("no column \(name) in SessionLookup.sql") }
            return index
        }
        static let expires = position(#""session"."expires""#)
        static let id = position(#""session"."id""#)
        static let type = position(#""session"."type""#)
        static let authenticationStrategy = position(#""session"."authenticationStrategy""#)
        static let user = position(#""user"."identifier""#)
        static let activeOrder = position(#""activeOrder"."code""#)
        static let activeChannel = position(#""activeChannel"."code""#)
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let cells = row.makeRandomAccess()
        let type = try cells[Column.type].decode(String.self)
        return SessionBody.Session(
            id: try cells[Column.id].decode(Int.self),
            kind: type == "AuthenticatedSession" ? "authenticated" : "anonymous",
            // As the storefront formats it.
            expires: try cells[Column.expires].decode(Date.self).formatted(Self.iso8601),
            activeOrder: try cells[Column.activeOrder].decode(String?.self),
            activeChannel: try cells[Column.activeChannel].decode(String?.self),
            user: try cells[Column.user].decode(String?.self),
            authenticationStrategy: try cells[Column.authenticationStrategy].decode(String?.self))
    }

    /// One style for every response, as the storefront keeps one.
    static let iso8601 = Date.ISO8601FormatStyle()
}
