import Entities
import EntityFixtures
import Foundation
import Testing

/// The exact SQL the builder writes (no server): stable text, every value a bind.
@Suite struct QueryBuilderSQLTests {
    static let sessionColumns =
        #""session"."createdAt", "session"."updatedAt", "session"."token", "session"."expires", "session"."invalidated", "session"."activeOrderId", "session"."activeChannelId", "session"."id", "session"."type""#

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

    @Test func joinsAliasTheRelatedColumns() {
        let sql = Session.select().join(\.activeOrder).join(\.activeChannel).where(\.token == "t").sql
        #expect(
            sql
                == #"SELECT \#(Self.sessionColumns), "activeOrder"."createdAt" AS "activeOrder.createdAt", "activeOrder"."updatedAt" AS "activeOrder.updatedAt", "activeOrder"."type" AS "activeOrder.type", "activeOrder"."code" AS "activeOrder.code", "activeOrder"."state" AS "activeOrder.state", "activeOrder"."active" AS "activeOrder.active", "activeOrder"."orderPlacedAt" AS "activeOrder.orderPlacedAt", "activeOrder"."customerId" AS "activeOrder.customerId", "activeOrder"."id" AS "activeOrder.id", "activeChannel"."createdAt" AS "activeChannel.createdAt", "activeChannel"."updatedAt" AS "activeChannel.updatedAt", "activeChannel"."code" AS "activeChannel.code", "activeChannel"."token" AS "activeChannel.token", "activeChannel"."id" AS "activeChannel.id" FROM "session" LEFT JOIN "order" AS "activeOrder" ON "activeOrder"."id" = "session"."activeOrderId" LEFT JOIN "channel" AS "activeChannel" ON "activeChannel"."id" = "session"."activeChannelId" WHERE "session"."token" = $1"#
        )
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
        #expect(query.sql.hasSuffix(#"FROM "session" WHERE "session"."type" = $1 AND "session"."userId" = $2"#))
        #expect(
            AuthenticatedSession.delete().sql == #"DELETE FROM "session" WHERE "session"."type" = $1"#)
    }

    @Test func insertUpdateDelete() throws {
        let insert = Session.insert(Session(token: "t", expires: Date(timeIntervalSince1970: 0)))
        #expect(
            insert.sql
                == #"INSERT INTO "session" ("token", "expires", "invalidated", "activeOrderId", "activeChannelId", "type") VALUES ($1, $2, $3, $4, $5, $6) RETURNING "createdAt", "updatedAt", "token", "expires", "invalidated", "activeOrderId", "activeChannelId", "id", "type""#
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
