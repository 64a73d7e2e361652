import Sessions
import Testing

/// The exact text of every statement the session store runs, as GRDB's tests pin their SQL: a change to
/// a statement (or, once the store builds them from the entity declarations, to what the builder
/// generates) shows here as a diff to review, not only as a behaviour change somewhere else.
@Suite struct SessionSQLTextTests {
    @Test func lookup() {
        #expect(SessionSQL.lookup == #"SELECT s."id", s."token", s."expires", s."type", s."authenticationStrategy", s."activeOrderId", s."activeChannelId", s."userId", u."identifier", u."verified", o."code", o."state", c."code", c."token" FROM "session" s LEFT JOIN "user" u ON u."id" = s."userId" LEFT JOIN "order" o ON o."id" = s."activeOrderId" LEFT JOIN "channel" c ON c."id" = s."activeChannelId" WHERE s."token" = $1 AND s."invalidated" = false AND s."expires" > $2 AND (s."userId" IS NULL OR u."deletedAt" IS NULL)"#)
    }

    @Test func lookupOnReplica() {
        #expect(SessionSQL.lookupOnReplica == #"SELECT l.*, (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::int8 FROM (VALUES (1)) AS one (x) LEFT JOIN (SELECT s."id", s."token", s."expires", s."type", s."authenticationStrategy", s."activeOrderId", s."activeChannelId", s."userId", u."identifier", u."verified", o."code", o."state", c."code", c."token" FROM "session" s LEFT JOIN "user" u ON u."id" = s."userId" LEFT JOIN "order" o ON o."id" = s."activeOrderId" LEFT JOIN "channel" c ON c."id" = s."activeChannelId" WHERE s."token" = $1 AND s."invalidated" = false AND s."expires" > $2 AND (s."userId" IS NULL OR u."deletedAt" IS NULL)) AS l ON true"#)
    }

    @Test func lookupOnPrimary() {
        #expect(SessionSQL.lookupOnPrimary == #"SELECT l.*, (pg_current_wal_lsn() - '0/0'::pg_lsn)::int8 FROM (VALUES (1)) AS one (x) LEFT JOIN (SELECT s."id", s."token", s."expires", s."type", s."authenticationStrategy", s."activeOrderId", s."activeChannelId", s."userId", u."identifier", u."verified", o."code", o."state", c."code", c."token" FROM "session" s LEFT JOIN "user" u ON u."id" = s."userId" LEFT JOIN "order" o ON o."id" = s."activeOrderId" LEFT JOIN "channel" c ON c."id" = s."activeChannelId" WHERE s."token" = $1 AND s."invalidated" = false AND s."expires" > $2 AND (s."userId" IS NULL OR u."deletedAt" IS NULL)) AS l ON true"#)
    }

    @Test func insert() {
        #expect(SessionSQL.insert == #"WITH s AS (INSERT INTO "session" ("createdAt", "updatedAt", "token", "expires", "invalidated", "type", "userId", "authenticationStrategy", "activeOrderId", "activeChannelId") VALUES ($1, $1, $2, $3, false, $4, $5, $6, $7, $8) RETURNING *) SELECT s."id", s."token", s."expires", s."type", s."authenticationStrategy", s."activeOrderId", s."activeChannelId", s."userId", u."identifier", u."verified", o."code", o."state", c."code", c."token" FROM s LEFT JOIN "user" u ON u."id" = s."userId" LEFT JOIN "order" o ON o."id" = s."activeOrderId" LEFT JOIN "channel" c ON c."id" = s."activeChannelId""#)
    }

    @Test func renew() {
        #expect(SessionSQL.renew == #"UPDATE "session" SET "expires" = $1, "updatedAt" = $2 WHERE "id" = $3 AND "expires" = $4 AND "invalidated" = false"#)
    }

    @Test func setActiveOrder() {
        #expect(SessionSQL.setActiveOrder == #"WITH s AS (UPDATE "session" SET "activeOrderId" = $2, "updatedAt" = $3 WHERE "token" = $1 AND "invalidated" = false AND "expires" > $3 RETURNING *) SELECT s."id", s."token", s."expires", s."type", s."authenticationStrategy", s."activeOrderId", s."activeChannelId", s."userId", u."identifier", u."verified", o."code", o."state", c."code", c."token", CASE WHEN $4::text <> '' THEN pg_notify($4::text, $5::text || encode(sha256(convert_to(s."token", 'UTF8')), 'hex')) END FROM s LEFT JOIN "user" u ON u."id" = s."userId" LEFT JOIN "order" o ON o."id" = s."activeOrderId" LEFT JOIN "channel" c ON c."id" = s."activeChannelId""#)
    }

    @Test func setActiveChannel() {
        #expect(SessionSQL.setActiveChannel == #"WITH s AS (UPDATE "session" SET "activeChannelId" = $2, "updatedAt" = $3 WHERE "token" = $1 AND "invalidated" = false AND "expires" > $3 RETURNING *) SELECT s."id", s."token", s."expires", s."type", s."authenticationStrategy", s."activeOrderId", s."activeChannelId", s."userId", u."identifier", u."verified", o."code", o."state", c."code", c."token", CASE WHEN $4::text <> '' THEN pg_notify($4::text, $5::text || encode(sha256(convert_to(s."token", 'UTF8')), 'hex')) END FROM s LEFT JOIN "user" u ON u."id" = s."userId" LEFT JOIN "order" o ON o."id" = s."activeOrderId" LEFT JOIN "channel" c ON c."id" = s."activeChannelId""#)
    }

    @Test func invalidate() {
        #expect(SessionSQL.invalidate == #"WITH s AS (UPDATE "session" SET "invalidated" = true, "updatedAt" = $2 WHERE "token" = $1 AND "invalidated" = false RETURNING "token") SELECT s."token", CASE WHEN $3::text <> '' THEN pg_notify($3::text, $4::text || encode(sha256(convert_to(s."token", 'UTF8')), 'hex')) END FROM s"#)
    }

    @Test func deleteByUser() {
        #expect(SessionSQL.deleteByUser == #"WITH s AS (DELETE FROM "session" WHERE "userId" = $1 RETURNING "token") SELECT s."token", CASE WHEN $2::text <> '' THEN pg_notify($2::text, $3::text || encode(sha256(convert_to(s."token", 'UTF8')), 'hex')) END FROM s"#)
    }

    @Test func deleteByActiveOrder() {
        #expect(SessionSQL.deleteByActiveOrder == #"WITH s AS (DELETE FROM "session" WHERE "activeOrderId" = $1 RETURNING "token") SELECT s."token", CASE WHEN $2::text <> '' THEN pg_notify($2::text, $3::text || encode(sha256(convert_to(s."token", 'UTF8')), 'hex')) END FROM s"#)
    }

    @Test func deleteOrder() {
        #expect(SessionSQL.deleteOrder == #"WITH s AS (UPDATE "session" SET "activeOrderId" = NULL, "updatedAt" = $2 WHERE "activeOrderId" = $1 RETURNING "token"), d AS (DELETE FROM "order" WHERE "id" = $1 RETURNING "id") SELECT (SELECT count(*) FROM d), ARRAY(SELECT s."token" FROM s), (SELECT count(CASE WHEN $3::text <> '' THEN pg_notify($3::text, $4::text || encode(sha256(convert_to(s."token", 'UTF8')), 'hex')) END) FROM s)"#)
    }

    @Test func deleteChannel() {
        #expect(SessionSQL.deleteChannel == #"WITH s AS (DELETE FROM "session" WHERE "activeChannelId" = $1 RETURNING "token"), d AS (DELETE FROM "channel" WHERE "id" = $1 RETURNING "id") SELECT (SELECT count(*) FROM d), ARRAY(SELECT s."token" FROM s), (SELECT count(CASE WHEN $2::text <> '' THEN pg_notify($2::text, $3::text || encode(sha256(convert_to(s."token", 'UTF8')), 'hex')) END) FROM s)"#)
    }

    @Test func cleanupBatch() {
        #expect(SessionSQL.cleanupBatch == #"WITH s AS (DELETE FROM "session" WHERE "id" IN (SELECT "id" FROM "session" WHERE "expires" <= $1 OR ("type" = 'AnonymousSession' AND "activeOrderId" IS NULL AND "updatedAt" <= $2) LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING "token", "expires") SELECT s."token", CASE WHEN s."expires" > $1 THEN CASE WHEN $4::text <> '' THEN pg_notify($4::text, $5::text || encode(sha256(convert_to(s."token", 'UTF8')), 'hex')) END END FROM s"#)
    }

    @Test func statistics() {
        #expect(SessionSQL.statistics == #"SELECT count(*) FILTER (WHERE "type" = 'AnonymousSession' AND NOT "invalidated" AND "expires" > $1), count(*) FILTER (WHERE "type" = 'AuthenticatedSession' AND NOT "invalidated" AND "expires" > $1), count(*) FILTER (WHERE "expires" <= $1), count(*) FILTER (WHERE "invalidated"), count(*) FROM "session""#)
    }
}
