/// The SQL the session store runs, as constant text with `$n` parameters, so benchmarks and tools can run
/// exactly the same statements. Tables are unqualified (the connection's `search_path` picks the schema)
/// and quoted exactly as TypeORM names them in a Vendure database.
///
/// Every statement that changes or removes a live session also publishes the change with `pg_notify`
/// inside the same statement, so the notification is sent if and only if the change commits. The channel
/// parameter may be empty (publishing off); the payload is `<store instance id>:<sha256(token) hex>`,
/// never the token itself.
public enum SessionSQL {
    /// The columns every session-returning statement selects, in the order ``SessionRowDecoder`` reads
    /// them, from a row source aliased `s`.
    public static let columns = """
        s."id", s."token", s."expires", s."type", s."authenticationStrategy", s."activeOrderId", \
        s."activeChannelId", s."userId", u."identifier", u."verified", o."code", o."state", c."code", c."token"
        """

    /// The joins that load the user, the active order and the active channel with the session.
    public static let joins = """
        LEFT JOIN "user" u ON u."id" = s."userId" \
        LEFT JOIN "order" o ON o."id" = s."activeOrderId" \
        LEFT JOIN "channel" c ON c."id" = s."activeChannelId"
        """

    /// `pg_notify` of the hashed token of row `s`, unless the channel (`$channel`) is empty.
    static func notify(channel: Int, prefix: Int) -> String {
        """
        CASE WHEN $\(channel)::text <> '' THEN pg_notify($\(channel)::text, $\(prefix)::text || \
        encode(sha256(convert_to(s."token", 'UTF8')), 'hex')) END
        """
    }

    /// The lookup: a live session by token, with user, active order and active channel, in one round trip.
    /// `$1` token, `$2` now (`timestamp`). Sessions of soft-deleted users are not returned.
    public static let lookup = """
        SELECT \(columns) FROM "session" s \(joins) \
        WHERE s."token" = $1 AND s."invalidated" = false AND s."expires" > $2 \
        AND (s."userId" IS NULL OR u."deletedAt" IS NULL)
        """

    /// ``lookup`` on a standby, for read routing: always one row, the session's columns (all NULL when
    /// none is found) followed by the standby's replay position (`pg_last_wal_replay_lsn()` as bytes since
    /// 0/0; NULL on a server that is not in recovery). Same parameters.
    public static let lookupOnReplica = """
        SELECT l.*, (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::int8 FROM (VALUES (1)) AS one (x) \
        LEFT JOIN (\(lookup)) AS l ON true
        """

    /// ``lookup`` on the primary when lookups are routed: the session's columns (NULL when none is found)
    /// followed by the primary's current WAL position. Same parameters.
    public static let lookupOnPrimary = """
        SELECT l.*, (pg_current_wal_lsn() - '0/0'::pg_lsn)::int8 FROM (VALUES (1)) AS one (x) \
        LEFT JOIN (\(lookup)) AS l ON true
        """

    /// Inserts a session and returns it with its relations. `$1` now (createdAt and updatedAt), `$2` token,
    /// `$3` expires, `$4` type, `$5` userId, `$6` authenticationStrategy, `$7` activeOrderId,
    /// `$8` activeChannelId.
    public static let insert = """
        WITH s AS (INSERT INTO "session" ("createdAt", "updatedAt", "token", "expires", "invalidated", "type", \
        "userId", "authenticationStrategy", "activeOrderId", "activeChannelId") \
        VALUES ($1, $1, $2, $3, false, $4, $5, $6, $7, $8) RETURNING *) \
        SELECT \(columns) FROM s \(joins)
        """

    /// Half-life renewal: moves `expires` only if it still holds the value this process read, so of any
    /// number of concurrent renewals (in this process or others) exactly one writes. `$1` new expiry,
    /// `$2` now (updatedAt), `$3` id, `$4` the expiry read.
    public static let renew = """
        UPDATE "session" SET "expires" = $1, "updatedAt" = $2 \
        WHERE "id" = $3 AND "expires" = $4 AND "invalidated" = false
        """

    /// Sets (or, with NULL, clears) the active order of a live session and returns it with its relations.
    /// `$1` token, `$2` activeOrderId, `$3` now, `$4` channel, `$5` payload prefix.
    public static let setActiveOrder = """
        WITH s AS (UPDATE "session" SET "activeOrderId" = $2, "updatedAt" = $3 \
        WHERE "token" = $1 AND "invalidated" = false AND "expires" > $3 RETURNING *) \
        SELECT \(columns), \(notify(channel: 4, prefix: 5)) FROM s \(joins)
        """

    /// Sets the active channel of a live session; parameters as ``setActiveOrder``.
    public static let setActiveChannel = """
        WITH s AS (UPDATE "session" SET "activeChannelId" = $2, "updatedAt" = $3 \
        WHERE "token" = $1 AND "invalidated" = false AND "expires" > $3 RETURNING *) \
        SELECT \(columns), \(notify(channel: 4, prefix: 5)) FROM s \(joins)
        """

    /// Marks a session invalidated (logout). One row per session changed. `$1` token, `$2` now, `$3` channel,
    /// `$4` payload prefix.
    public static let invalidate = """
        WITH s AS (UPDATE "session" SET "invalidated" = true, "updatedAt" = $2 \
        WHERE "token" = $1 AND "invalidated" = false RETURNING "token") \
        SELECT s."token", \(notify(channel: 3, prefix: 4)) FROM s
        """

    /// Deletes every session of a user; returns their tokens. `$1` userId, `$2` channel, `$3` prefix.
    public static let deleteByUser = """
        WITH s AS (DELETE FROM "session" WHERE "userId" = $1 RETURNING "token") \
        SELECT s."token", \(notify(channel: 2, prefix: 3)) FROM s
        """

    /// Deletes every session whose active order is `$1`; returns their tokens. `$2` channel, `$3` prefix.
    public static let deleteByActiveOrder = """
        WITH s AS (DELETE FROM "session" WHERE "activeOrderId" = $1 RETURNING "token") \
        SELECT s."token", \(notify(channel: 2, prefix: 3)) FROM s
        """

    /// Deletes an order that sessions may reference, in one statement: the sessions are detached
    /// (`activeOrderId` = NULL) and the order row is deleted; the foreign key (`NO ACTION`, checked at the
    /// end of the statement) sees no reference left. Returns the number of orders deleted, the detached
    /// sessions' tokens and the notifications sent. `$1` order id, `$2` now, `$3` channel, `$4` prefix.
    public static let deleteOrder = """
        WITH s AS (UPDATE "session" SET "activeOrderId" = NULL, "updatedAt" = $2 \
        WHERE "activeOrderId" = $1 RETURNING "token"), \
        d AS (DELETE FROM "order" WHERE "id" = $1 RETURNING "id") \
        SELECT (SELECT count(*) FROM d), ARRAY(SELECT s."token" FROM s), \
        (SELECT count(\(notify(channel: 3, prefix: 4))) FROM s)
        """

    /// Deletes a channel and every session whose active channel it is, in one statement. Returns as
    /// ``deleteOrder``. `$1` channel id, `$2` notification channel, `$3` prefix.
    public static let deleteChannel = """
        WITH s AS (DELETE FROM "session" WHERE "activeChannelId" = $1 RETURNING "token"), \
        d AS (DELETE FROM "channel" WHERE "id" = $1 RETURNING "id") \
        SELECT (SELECT count(*) FROM d), ARRAY(SELECT s."token" FROM s), \
        (SELECT count(\(notify(channel: 2, prefix: 3))) FROM s)
        """

    /// One cleanup batch: deletes up to `$3` sessions that expired (`expires` <= `$1`) or are anonymous,
    /// without an active order and unchanged since `$2`, skipping rows other transactions hold (so several
    /// cleaners never block one another). Returns the tokens; notifies only for sessions that had not
    /// expired yet (no cache serves an expired session anyway). `$4` channel, `$5` prefix.
    public static let cleanupBatch = """
        WITH s AS (DELETE FROM "session" WHERE "id" IN (SELECT "id" FROM "session" \
        WHERE "expires" <= $1 OR ("type" = 'AnonymousSession' AND "activeOrderId" IS NULL AND "updatedAt" <= $2) \
        LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING "token", "expires") \
        SELECT s."token", CASE WHEN s."expires" > $1 THEN \(notify(channel: 4, prefix: 5)) END FROM s
        """

    /// Counts for `sessionctl stats`: live anonymous, live authenticated, expired, invalidated, all.
    /// `$1` now.
    public static let statistics = """
        SELECT count(*) FILTER (WHERE "type" = 'AnonymousSession' AND NOT "invalidated" AND "expires" > $1), \
        count(*) FILTER (WHERE "type" = 'AuthenticatedSession' AND NOT "invalidated" AND "expires" > $1), \
        count(*) FILTER (WHERE "expires" <= $1), count(*) FILTER (WHERE "invalidated"), count(*) \
        FROM "session"
        """
}
