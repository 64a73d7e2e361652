import Entities
import EntityFixtures
import Foundation
import Testing

/// The exact SQL the builder writes (no server): stable text, every value a bind.
@Suite struct QueryBuilderSQLTests {
    static let sessionColumns =
        #""session"."createdAt", "session"."updatedAt", "session"."token", "session"."expires", "session"."invalidated", "session"."id", "session"."activeOrderId", "session"."activeChannelId", "session"."type""#

    @Test func selectByToken() throws {
        let query = try Session.select().where(\.token == "abc").limit(1).build()
        #expect(query.sql == #"SELECT \#(Self.sessionColumns) FROM "session" WHERE "session"."token" = $1 LIMIT $2"#)
        #expect(query.binds.count == 2)
    }

    @Test func theTextDependsOnTheShapeNotTheValues() {
        let a = Session.select().where(\.token == "a" && \.invalidated == false).sql
        let b = Session.select().where(\.token == "b" && \.invalidated == true).sql
        #expect(a == b)
        #expect(Session.select().where(.in(\.id, [1])).sql == Session.select().where(.in(\.id, [1, 2, 3])).sql)
    }

    @Test func joinsQualifyTheRelatedColumnsWithTheRelation() {
        let sql = Session.select().join(\.activeOrder).join(\.activeChannel).where(\.token == "t").sql
        #expect(
            sql
                == #"SELECT \#(Self.sessionColumns), "activeOrder"."createdAt", "activeOrder"."updatedAt", "activeOrder"."type", "activeOrder"."code", "activeOrder"."state", "activeOrder"."active", "activeOrder"."orderPlacedAt", "activeOrder"."id", "activeOrder"."customerId", "activeChannel"."createdAt", "activeChannel"."updatedAt", "activeChannel"."code", "activeChannel"."token", "activeChannel"."id" FROM "session" LEFT JOIN "order" "activeOrder" ON "activeOrder"."id" = "session"."activeOrderId" LEFT JOIN "channel" "activeChannel" ON "activeChannel"."id" = "session"."activeChannelId" WHERE "session"."token" = $1"#
        )
    }

    /// A statement built once: `$n` parameters, constants, a partial select, a condition on a joined
    /// relation, a lock, a computed column, and the rows of a write read back with their relations.
    @Test func templatesWithParametersLocksAndWrittenRows() throws {
        let token = QueryParameter<String>(1)
        let lookup = try Session.select()
            .selecting([\.token, \.id])
            .join(\AuthenticatedSession.user, selecting: [\.identifier])
            .where(\.token == token && \.invalidated == SQLLiteral.false && .joined(\AuthenticatedSession.user, .isNull(\User.deletedAt)))
            .adding("length(\(\.token))")
            .prepare()
        #expect(
            lookup.sql
                == #"SELECT "session"."token", "session"."id", "session"."type", "session"."authenticationStrategy", "session"."userId", "user"."identifier", length("session"."token") FROM "session" LEFT JOIN "user" "user" ON "user"."id" = "session"."userId" WHERE (("session"."token" = $1 AND "session"."invalidated" = false) AND "user"."deletedAt" IS NULL)"#)
        // The user's key is not selected: it is the session's "userId" (selected), and "identifier" (NOT
        // NULL) tells a missing user.
        #expect(lookup.computedColumns == 6..<7 && lookup.columnCount == 7 && lookup.discriminatorIndex == 2)
        // Without the join column in the select list, the key is read from the joined table.
        let withoutJoinColumn = try Session.select().selecting([\.token]).join(\.activeOrder, selecting: [\.code]).build()
        #expect(
            withoutJoinColumn.sql
                == #"SELECT "session"."token", "activeOrder"."code", "activeOrder"."id" FROM "session" LEFT JOIN "order" "activeOrder" ON "activeOrder"."id" = "session"."activeOrderId""#)

        let batch = Session.select().selecting([\.id]).where(\.expires <= QueryParameter<Date>(1))
            .limit(QueryParameter<Int>(2)).locking(.forUpdate, skipLocked: true)
        #expect(
            batch.sql == #"SELECT "session"."id" FROM "session" WHERE "session"."expires" <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED"#)

        let update = Session.update().set(\.invalidated, to: SQLLiteral.true).where(\.token == token)
        let written = SelectQuery<Session>(from: update).selecting([\.token]).join(\.activeOrder, selecting: [\.code])
        #expect(
            written.sql
                == #"WITH "session" AS (UPDATE "session" SET "invalidated" = true WHERE "session"."token" = $1 RETURNING *) SELECT "session"."token", "activeOrder"."code", "activeOrder"."id" FROM "session" LEFT JOIN "order" "activeOrder" ON "activeOrder"."id" = "session"."activeOrderId""#)
        let insert = AuthenticatedSession.values().set(\.token, to: token).set(\.userId, to: QueryParameter<Int?>(2))
        #expect(insert.sql.hasPrefix(#"INSERT INTO "session" ("type", "token", "userId") VALUES ('AuthenticatedSession', $1, $2) RETURNING "#))
        #expect(
            Session.delete().where(.in(\.id, batch)).sql
                == #"DELETE FROM "session" WHERE "session"."id" IN (SELECT "session"."id" FROM "session" WHERE "session"."expires" <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)"#)
    }

    @Test func templatesRejectBoundValuesAndUnjoinedRelations() {
        // Bound values and `$n` parameters would clash.
        #expect(throws: EntityQueryError.self) {
            try Session.select().where(\.token == QueryParameter<String>(1) && \.invalidated == false).build()
        }
        // A prepared statement takes its values as parameters.
        #expect(throws: EntityQueryError.self) { try Session.select().where(\.token == "t").prepare() }
        // A condition on a relation the statement does not join.
        #expect(throws: EntityQueryError.self) {
            try Session.select().where(.joined(\AuthenticatedSession.user, .isNull(\User.deletedAt))).build()
        }
        // Rows written to another table.
        #expect(throws: EntityQueryError.self) { try SelectQuery<Session>(from: Order.delete()).build() }
    }

    @Test func predicatesComposeWithParentheses() {
        let sql = Session.select()
            .where((\.invalidated == false || .isNull(\.activeOrderId)) && !(\.expires < Date()))
            .where(.in(\.token, ["a", "b"]))
            .order(by: \.expires, .descending).order(by: \.id)
            .limit(10).offset(20)
            .sql
        #expect(
            sql.hasSuffix(
                #"FROM "session" WHERE ((("session"."invalidated" = $1 OR "session"."activeOrderId" IS NULL) AND NOT ("session"."expires" < $2)) AND "session"."token" = ANY($3)) ORDER BY "session"."expires" DESC, "session"."id" ASC LIMIT $4 OFFSET $5"#
            ), "\(sql)")
        #expect(Session.select().where(\.activeOrderId == nil).sql.hasSuffix(#"WHERE "session"."activeOrderId" IS NULL"#))
        #expect(Session.select().where(\.activeOrderId != nil).sql.hasSuffix(#"WHERE "session"."activeOrderId" IS NOT NULL"#))
    }

    @Test func aChildEntityFiltersOnItsDiscriminator() throws {
        let query = try AuthenticatedSession.select().where(\.userId == 7).build()
        #expect(query.sql.hasPrefix(#"SELECT "session"."authenticationStrategy", "session"."userId", "session"."createdAt""#))
        #expect(query.sql.hasSuffix(#"FROM "session" WHERE "session"."type" = 'AuthenticatedSession' AND "session"."userId" = $1"#))
        #expect(
            AuthenticatedSession.delete().sql == #"DELETE FROM "session" WHERE "session"."type" = 'AuthenticatedSession'"#)
    }

    @Test func insertUpdateDelete() throws {
        let insert = Session.insert(Session(token: "t", expires: Date(timeIntervalSince1970: 0)))
        #expect(
            insert.sql
                == #"INSERT INTO "session" ("token", "expires", "invalidated", "activeOrderId", "activeChannelId", "type") VALUES ($1, $2, $3, $4, $5, $6) RETURNING "createdAt", "updatedAt", "token", "expires", "invalidated", "id", "activeOrderId", "activeChannelId", "type""#
        )
        #expect(
            Session.update().set(\.expires, to: Date()).set(\.invalidated, to: true).where(\.id == 3).sql
                == #"UPDATE "session" SET "expires" = $1, "invalidated" = $2 WHERE "session"."id" = $3"#)
        #expect(Session.delete().where(\.expires < Date()).sql == #"DELETE FROM "session" WHERE "session"."expires" < $1"#)
    }

    @Test func keyPathsThatAreNotColumnsFailToBuild() {
        #expect(throws: EntityQueryError.self) { try Session.select().order(by: \.activeOrder).build() }
        #expect(throws: EntityQueryError.self) { try Session.update().build() }
    }
}
