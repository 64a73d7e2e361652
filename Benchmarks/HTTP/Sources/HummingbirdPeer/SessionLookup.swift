import Foundation
import PostgresNIO

/// The session store's lookup statement, run through postgres-nio's best path (a named prepared
/// statement): the session's columns joined with its user, active order and active channel, `$1` the
/// token, `$2` now.
struct SessionLookup: PostgresPreparedStatement {
    /// A copy of `SessionSQL.lookup` (Sources/Sessions/Store/SessionStatements.swift, built from the entity
    /// declarations), as Tests/SessionsTests/SessionSQLTextTests.swift pins it; scripts/bench-http stops when
    /// the two differ. Copied rather than imported so that this package does not build the root's modules.
    static let sql = #"SELECT "session"."token", "session"."expires", "session"."invalidated", "session"."id", "session"."activeOrderId", "session"."activeChannelId", "session"."type", "session"."authenticationStrategy", "session"."userId", "user"."identifier", "user"."verified", "user"."id", "activeOrder"."code", "activeOrder"."state", "activeOrder"."id", "activeChannel"."code", "activeChannel"."token", "activeChannel"."id" FROM "session" LEFT JOIN "user" "user" ON "user"."id" = "session"."userId" LEFT JOIN "order" "activeOrder" ON "activeOrder"."id" = "session"."activeOrderId" LEFT JOIN "channel" "activeChannel" ON "activeChannel"."id" = "session"."activeChannelId" WHERE ((("session"."token" = $1 AND "session"."invalidated" = false) AND "session"."expires" > $2) AND "user"."deletedAt" IS NULL)"#

    typealias Row = SessionBody.Session

    var token: String
    var now: Date

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(token)
        bindings.append(now)
        return bindings
    }

    /// The columns the body needs, by position in `SessionSQL.lookup`: 1 expires, 3 id, 6 type,
    /// 7 authenticationStrategy, 9 user.identifier, 12 activeOrder.code, 15 activeChannel.code.
    func decodeRow(_ row: PostgresRow) throws -> Row {
        let cells = row.makeRandomAccess()
        let type = try cells[6].decode(String.self)
        return SessionBody.Session(
            id: try cells[3].decode(Int.self),
            kind: type == "AuthenticatedSession" ? "authenticated" : "anonymous",
            // As the storefront formats it.
            expires: try cells[1].decode(Date.self).formatted(.iso8601),
            activeOrder: try cells[12].decode(String?.self),
            activeChannel: try cells[15].decode(String?.self),
            user: try cells[9].decode(String?.self),
            authenticationStrategy: try cells[7].decode(String?.self))
    }
}
