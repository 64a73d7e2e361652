import Sessions
import Testing

/// The exact text of every statement the session store runs, as the typed query layer builds it from the
/// entity declarations (``SessionStatements``), pinned as GRDB pins its SQL: a change to an entity, to the
/// builder or to the store shows here as a diff to review.
struct SessionSQLTextTests {
    @Test func lookup() {
        #expect(SessionSQL.lookup == #"SELECT "session"."token", "session"."expires", "session"."id", "session"."activeOrderId", "session"."activeChannelId", "session"."type", "session"."authenticationStrategy", "session"."userId", "user"."identifier", "user"."verified", "activeOrder"."code", "activeOrder"."state", "activeChannel"."code", "activeChannel"."token" FROM "session" LEFT JOIN "user" "user" ON "user"."id" = "session"."userId" LEFT JOIN "order" "activeOrder" ON "activeOrder"."id" = "session"."activeOrderId" LEFT JOIN "channel" "activeChannel" ON "activeChannel"."id" = "session"."activeChannelId" WHERE ((("session"."token" = $1 AND "session"."invalidated" = false) AND "session"."expires" > $2) AND "user"."deletedAt" IS NULL)"#)
    }

    @Test func lookupOnReplica() {
        #expect(SessionSQL.lookupOnReplica == #"SELECT l.*, (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::int8 FROM (VALUES (1)) AS one (x) LEFT JOIN (SELECT "session"."token", "session"."expires", "session"."id", "session"."activeOrderId", "session"."activeChannelId", "session"."type", "session"."authenticationStrategy", "session"."userId", "user"."identifier", "user"."verified", "activeOrder"."code", "activeOrder"."state", "activeChannel"."code", "activeChannel"."token" FROM "session" LEFT JOIN "user" "user" ON "user"."id" = "session"."userId" LEFT JOIN "order" "activeOrder" ON "activeOrder"."id" = "session"."activeOrderId" LEFT JOIN "channel" "activeChannel" ON "activeChannel"."id" = "session"."activeChannelId" WHERE ((("session"."token" = $1 AND "session"."invalidated" = false) AND "session"."expires" > $2) AND "user"."deletedAt" IS NULL)) AS l ON true"#)
    }

    @Test func lookupOnPrimary() {
        #expect(SessionSQL.lookupOnPrimary == #"SELECT l.*, (pg_current_wal_lsn() - '0/0'::pg_lsn)::int8 FROM (VALUES (1)) AS one (x) LEFT JOIN (SELECT "session"."token", "session"."expires", "session"."id", "session"."activeOrderId", "session"."activeChannelId", "session"."type", "session"."authenticationStrategy", "session"."userId", "user"."identifier", "user"."verified", "activeOrder"."code", "activeOrder"."state", "activeChannel"."code", "activeChannel"."token" FROM "session" LEFT JOIN "user" "user" ON "user"."id" = "session"."userId" LEFT JOIN "order" "activeOrder" ON "activeOrder"."id" = "session"."activeOrderId" LEFT JOIN "channel" "activeChannel" ON "activeChannel"."id" = "session"."activeChannelId" WHERE ((("session"."token" = $1 AND "session"."invalidated" = false) AND "session"."expires" > $2) AND "user"."deletedAt" IS NULL)) AS l ON true"#)
    }

    @Test func insert() {
        #expect(SessionSQL.insert == #"WITH "session" AS (INSERT INTO "session" ("type", "createdAt", "updatedAt", "token", "expires", "invalidated", "userId", "authenticationStrategy", "activeOrderId", "activeChannelId") VALUES ($4, $1, $1, $2, $3, false, $5, $6, $7, $8) RETURNING *) SELECT "session"."token", "session"."expires", "session"."id", "session"."activeOrderId", "session"."activeChannelId", "session"."type", "session"."authenticationStrategy", "session"."userId", "user"."identifier", "user"."verified", "activeOrder"."code", "activeOrder"."state", "activeChannel"."code", "activeChannel"."token" FROM "session" LEFT JOIN "user" "user" ON "user"."id" = "session"."userId" LEFT JOIN "order" "activeOrder" ON "activeOrder"."id" = "session"."activeOrderId" LEFT JOIN "channel" "activeChannel" ON "activeChannel"."id" = "session"."activeChannelId""#)
    }

    @Test func renew() {
        #expect(SessionSQL.renew == #"UPDATE "session" SET "expires" = $1, "updatedAt" = $2 WHERE (("session"."id" = $3 AND "session"."expires" = $4) AND "session"."invalidated" = false)"#)
    }

    @Test func setActiveOrder() {
        #expect(SessionSQL.setActiveOrder == #"WITH "session" AS (UPDATE "session" SET "activeOrderId" = $2, "updatedAt" = $3 WHERE (("session"."token" = $1 AND "session"."invalidated" = false) AND "session"."expires" > $3) RETURNING *) SELECT "session"."token", "session"."expires", "session"."id", "session"."activeOrderId", "session"."activeChannelId", "session"."type", "session"."authenticationStrategy", "session"."userId", "user"."identifier", "user"."verified", "activeOrder"."code", "activeOrder"."state", "activeChannel"."code", "activeChannel"."token", CASE WHEN $4::text <> '' THEN pg_notify($4::text, $5::text || encode(sha256(convert_to("session"."token", 'UTF8')), 'hex')) END FROM "session" LEFT JOIN "user" "user" ON "user"."id" = "session"."userId" LEFT JOIN "order" "activeOrder" ON "activeOrder"."id" = "session"."activeOrderId" LEFT JOIN "channel" "activeChannel" ON "activeChannel"."id" = "session"."activeChannelId""#)
    }

    @Test func setActiveChannel() {
        #expect(SessionSQL.setActiveChannel == #"WITH "session" AS (UPDATE "session" SET "activeChannelId" = $2, "updatedAt" = $3 WHERE (("session"."token" = $1 AND "session"."invalidated" = false) AND "session"."expires" > $3) RETURNING *) SELECT "session"."token", "session"."expires", "session"."id", "session"."activeOrderId", "session"."activeChannelId", "session"."type", "session"."authenticationStrategy", "session"."userId", "user"."identifier", "user"."verified", "activeOrder"."code", "activeOrder"."state", "activeChannel"."code", "activeChannel"."token", CASE WHEN $4::text <> '' THEN pg_notify($4::text, $5::text || encode(sha256(convert_to("session"."token", 'UTF8')), 'hex')) END FROM "session" LEFT JOIN "user" "user" ON "user"."id" = "session"."userId" LEFT JOIN "order" "activeOrder" ON "activeOrder"."id" = "session"."activeOrderId" LEFT JOIN "channel" "activeChannel" ON "activeChannel"."id" = "session"."activeChannelId""#)
    }

    @Test func invalidate() {
        #expect(SessionSQL.invalidate == #"WITH "session" AS (UPDATE "session" SET "invalidated" = true, "updatedAt" = $2 WHERE ("session"."token" = $1 AND "session"."invalidated" = false) RETURNING *) SELECT "session"."token", CASE WHEN $3::text <> '' THEN pg_notify($3::text, $4::text || encode(sha256(convert_to("session"."token", 'UTF8')), 'hex')) END FROM "session""#)
    }

    @Test func deleteByUser() {
        #expect(SessionSQL.deleteByUser == #"WITH "session" AS (DELETE FROM "session" WHERE "session"."type" = 'AuthenticatedSession' AND "session"."userId" = $1 RETURNING *) SELECT "session"."token", CASE WHEN $2::text <> '' THEN pg_notify($2::text, $3::text || encode(sha256(convert_to("session"."token", 'UTF8')), 'hex')) END FROM "session""#)
    }

    @Test func deleteByActiveOrder() {
        #expect(SessionSQL.deleteByActiveOrder == #"WITH "session" AS (DELETE FROM "session" WHERE "session"."activeOrderId" = $1 RETURNING *) SELECT "session"."token", CASE WHEN $2::text <> '' THEN pg_notify($2::text, $3::text || encode(sha256(convert_to("session"."token", 'UTF8')), 'hex')) END FROM "session""#)
    }

    @Test func deleteOrder() {
        #expect(SessionSQL.deleteOrder == #"WITH s AS (UPDATE "session" SET "activeOrderId" = NULL, "updatedAt" = $2 WHERE "session"."activeOrderId" = $1 RETURNING "token"), d AS (DELETE FROM "order" WHERE "order"."id" = $1 RETURNING "id") SELECT (SELECT count(*) FROM d), ARRAY(SELECT s."token" FROM s), (SELECT count(CASE WHEN $3::text <> '' THEN pg_notify($3::text, $4::text || encode(sha256(convert_to("s"."token", 'UTF8')), 'hex')) END) FROM s)"#)
    }

    @Test func deleteChannel() {
        #expect(SessionSQL.deleteChannel == #"WITH s AS (DELETE FROM "session" WHERE "session"."activeChannelId" = $1 RETURNING "token"), d AS (DELETE FROM "channel" WHERE "channel"."id" = $1 RETURNING "id") SELECT (SELECT count(*) FROM d), ARRAY(SELECT s."token" FROM s), (SELECT count(CASE WHEN $2::text <> '' THEN pg_notify($2::text, $3::text || encode(sha256(convert_to("s"."token", 'UTF8')), 'hex')) END) FROM s)"#)
    }

    @Test func cleanupBatch() {
        #expect(SessionSQL.cleanupBatch == #"WITH "session" AS (DELETE FROM "session" WHERE "session"."id" IN (SELECT "session"."id" FROM "session" WHERE ("session"."expires" <= $1 OR (("session"."type" = 'AnonymousSession' AND "session"."activeOrderId" IS NULL) AND "session"."updatedAt" <= $2)) LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING *) SELECT "session"."token", CASE WHEN "session"."expires" > $1 THEN CASE WHEN $4::text <> '' THEN pg_notify($4::text, $5::text || encode(sha256(convert_to("session"."token", 'UTF8')), 'hex')) END END FROM "session""#)
    }

    @Test func statistics() {
        #expect(SessionSQL.statistics == #"SELECT count(*) FILTER (WHERE "session"."type" = 'AnonymousSession' AND NOT "session"."invalidated" AND "session"."expires" > $1), count(*) FILTER (WHERE "session"."type" = 'AuthenticatedSession' AND NOT "session"."invalidated" AND "session"."expires" > $1), count(*) FILTER (WHERE "session"."expires" <= $1), count(*) FILTER (WHERE "session"."invalidated"), count(*) FROM "session""#)
    }
}
