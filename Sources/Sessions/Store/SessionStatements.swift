public import Entities
import Foundation
import LibPQ

/// The statements the session store runs, built once per store from the entity declarations (``Session``,
/// ``AuthenticatedSession``, ``User``, ``Order``, ``Channel``) and the configured custom fields, through the
/// typed query layer: constant SQL text with `$n` parameters (so the server's prepared statements are
/// reused), and positional decoders for their rows. ``SessionSQL`` holds the text of the statements of a
/// store without custom fields.
///
/// Tables are unqualified (the connection's `search_path` picks the schema). Every statement that changes
/// or removes a live session also publishes the change with `pg_notify` inside the same statement, so the
/// notification is sent if and only if the change commits. The channel parameter may be empty (publishing
/// off); the payload is `<store instance id>:<sha256(token) hex>`, never the token itself.
public struct SessionStatements: Sendable {
    /// The custom fields the statements write and read.
    public let customFields: [CustomField]

    /// A live session by token, with its user, active order and active channel. `$1` token, `$2` now.
    /// Sessions of soft-deleted users are not returned.
    public let lookup: PreparedSelect<Session>
    /// ``lookup`` on a standby: always one row, the session's columns (all NULL when none is found) then the
    /// standby's replay position (bytes since 0/0; NULL on a server not in recovery). Same parameters.
    public let lookupOnReplica: String
    /// ``lookup`` on the primary when lookups are routed: then the primary's current WAL position.
    public let lookupOnPrimary: String
    /// Inserts a session and returns it as ``lookup`` does. `$1` now (createdAt, updatedAt), `$2` token,
    /// `$3` expires, `$4` type, `$5` userId, `$6` authenticationStrategy, `$7` activeOrderId,
    /// `$8` activeChannelId, then one parameter per custom field.
    public let insert: PreparedSelect<Session>
    /// Half-life renewal: moves `expires` only if it still holds the value this process read, so of any
    /// number of concurrent renewals exactly one writes. `$1` new expiry, `$2` now, `$3` id, `$4` expiry read.
    public let renew: String
    /// Sets (or, with NULL, clears) the active order of a live session and returns it as ``lookup`` does,
    /// then the notification. `$1` token, `$2` activeOrderId, `$3` now, `$4` channel, `$5` payload prefix.
    public let setActiveOrder: PreparedSelect<Session>
    /// Sets the active channel of a live session; parameters as ``setActiveOrder``.
    public let setActiveChannel: PreparedSelect<Session>
    /// Marks a session invalidated (logout): its token and the notification. `$1` token, `$2` now,
    /// `$3` channel, `$4` prefix.
    public let invalidate: String
    /// Deletes every session of a user: their tokens and notifications. `$1` userId, `$2` channel,
    /// `$3` prefix.
    public let deleteByUser: String
    /// Deletes every session whose active order is `$1`; as ``deleteByUser``.
    public let deleteByActiveOrder: String
    /// Deletes an order that sessions may reference, in one statement: the sessions are detached and the
    /// order row deleted (the `NO ACTION` foreign key is checked at the end of the statement). Returns the
    /// number of orders deleted, the detached sessions' tokens and the notifications sent. `$1` order id,
    /// `$2` now, `$3` channel, `$4` prefix.
    public let deleteOrder: String
    /// Deletes a channel and every session whose active channel it is; returns as ``deleteOrder``.
    /// `$1` channel id, `$2` notification channel, `$3` prefix.
    public let deleteChannel: String
    /// One cleanup batch: deletes up to `$3` sessions that expired (`expires` <= `$1`) or are anonymous,
    /// without an active order and unchanged since `$2`, skipping rows other transactions lock. Returns
    /// the tokens; notifies only for sessions that had not expired. `$4` channel, `$5` prefix.
    public let cleanupBatch: String
    /// Counts: live anonymous, live authenticated, expired, invalidated, all. `$1` now.
    public let statistics: String

    /// Builds the statements; throws when a custom field cannot be a column of the session table.
    public init(customFields: [CustomField] = []) throws {
        self.customFields = customFields
        let discriminator: String
        if case .parent(let column, _) = Session.entityMetadata.inheritance { discriminator = column } else { discriminator = "type" }
        func notify(channel: Int, prefix: Int) -> SQLExpression<Session> {
            let c = QueryParameter<String>(channel, as: "text")
            let p = QueryParameter<String>(prefix, as: "text")
            return "CASE WHEN \(c) <> '' THEN pg_notify(\(c), \(p) || encode(sha256(convert_to(\(\.token), 'UTF8')), 'hex')) END"
        }
        // What every session-returning statement reads: the session's columns (of both kinds), the user's,
        // the order's and the channel's that a session hands out, then the custom fields. Not `invalidated`:
        // each of them returns live sessions only (the entity's default, false). The related rows' keys are
        // the session's join columns (the builder reads them there).
        func sessions(_ query: SelectQuery<Session>) -> SelectQuery<Session> {
            var query = query
                .selecting([\.token, \.expires, \.id, \.activeOrderId, \.activeChannelId])
                .includingVariantColumns()
                .join(\AuthenticatedSession.user, selecting: [\.identifier, \.verified])
                .join(\.activeOrder, selecting: [\.code, \.state])
                .join(\.activeChannel, selecting: [\.code, \.token])
            for field in customFields { query = query.adding("\(column: field.columnName)") }
            return query
        }
        let token = QueryParameter<String>(1)
        let live: EntityPredicate<Session> = \.token == token && \.invalidated == SQLLiteral.false

        let lookup = try sessions(Session.select())
            .where(live && \.expires > QueryParameter<Date>(2) && .joined(\AuthenticatedSession.user, .isNull(\User.deletedAt)))
            .prepare()
        self.lookup = lookup
        func lsnWrapped(_ position: String) -> String {
            "SELECT l.*, (\(position) - '0/0'::pg_lsn)::int8 FROM (VALUES (1)) AS one (x) LEFT JOIN (\(lookup.sql)) AS l ON true"
        }
        lookupOnReplica = lsnWrapped("pg_last_wal_replay_lsn()")
        lookupOnPrimary = lsnWrapped("pg_current_wal_lsn()")

        var values = AuthenticatedSession.values()
            .set(\.createdAt, to: QueryParameter<Date?>(1)).set(\.updatedAt, to: QueryParameter<Date?>(1))
            .set(\.token, to: QueryParameter<String>(2)).set(\.expires, to: QueryParameter<Date>(3))
            .set(\.invalidated, to: SQLLiteral.false).setDiscriminator(to: QueryParameter<String>(4))
            .set(\.userId, to: QueryParameter<Int?>(5)).set(\.authenticationStrategy, to: QueryParameter<String>(6))
            .set(\.activeOrderId, to: QueryParameter<Int?>(7)).set(\.activeChannelId, to: QueryParameter<Int?>(8))
        for (i, field) in customFields.enumerated() {
            values = values.set(column: field.columnName, to: QueryParameter<CustomFieldValue?>(9 + i))
        }
        insert = try sessions(SelectQuery(from: values)).prepare()

        renew = try Session.update()
            .set(\.expires, to: QueryParameter<Date>(1)).set(\.updatedAt, to: QueryParameter<Date?>(2))
            .where(\.id == QueryParameter<Int?>(3) && \.expires == QueryParameter<Date>(4) && \.invalidated == SQLLiteral.false)
            .build().sql

        let now3 = QueryParameter<Date>(3)
        let changeable: EntityPredicate<Session> = live && \.expires > now3
        setActiveOrder = try sessions(
            SelectQuery(from: Session.update().set(\.activeOrderId, to: QueryParameter<Int?>(2))
                .set(\.updatedAt, to: QueryParameter<Date?>(3)).where(changeable))
        ).adding(notify(channel: 4, prefix: 5)).prepare()
        setActiveChannel = try sessions(
            SelectQuery(from: Session.update().set(\.activeChannelId, to: QueryParameter<Int?>(2))
                .set(\.updatedAt, to: QueryParameter<Date?>(3)).where(changeable))
        ).adding(notify(channel: 4, prefix: 5)).prepare()

        /// A write's tokens and notifications: `SELECT "session"."token", <notify> FROM <write>`.
        func tokens(of write: some EntityWriteQuery, channel: Int, prefix: Int) throws -> String {
            try SelectQuery<Session>(from: write).selecting([\.token]).adding(notify(channel: channel, prefix: prefix)).build().sql
        }
        invalidate = try tokens(
            of: Session.update().set(\.invalidated, to: SQLLiteral.true).set(\.updatedAt, to: QueryParameter<Date?>(2))
                .where(live),
            channel: 3, prefix: 4)
        deleteByUser = try tokens(of: AuthenticatedSession.delete().where(\.userId == QueryParameter<Int?>(1)), channel: 2, prefix: 3)
        deleteByActiveOrder = try tokens(of: Session.delete().where(\.activeOrderId == QueryParameter<Int?>(1)), channel: 2, prefix: 3)

        /// Detaches or deletes sessions (`s`) and deletes the referenced row (`d`) in one statement.
        func deleteReferenced(sessions: some EntityWriteQuery, target: some EntityWriteQuery, channel: Int, prefix: Int) throws -> String {
            return """
                WITH s AS (\(try sessions.build().sql) RETURNING "token"), d AS (\(try target.build().sql) RETURNING "id") \
                SELECT (SELECT count(*) FROM d), ARRAY(SELECT s."token" FROM s), \
                (SELECT count(\(try notify(channel: channel, prefix: prefix).sql(table: "s"))) FROM s)
                """
        }
        deleteOrder = try deleteReferenced(
            sessions: Session.update().set(\.activeOrderId, to: SQLLiteral.null).set(\.updatedAt, to: QueryParameter<Date?>(2))
                .where(\.activeOrderId == QueryParameter<Int?>(1)),
            target: Order.delete().where(\.id == QueryParameter<Int?>(1)), channel: 3, prefix: 4)
        deleteChannel = try deleteReferenced(
            sessions: Session.delete().where(\.activeChannelId == QueryParameter<Int?>(1)),
            target: Channel.delete().where(\.id == QueryParameter<Int?>(1)), channel: 2, prefix: 3)

        let cutoff = QueryParameter<Date>(1)
        let idleSince = QueryParameter<Date?>(2)
        let batch = Session.select().selecting([\.id])
            .where(\.expires <= cutoff || (.is(AnonymousSession.self) && .isNull(\.activeOrderId) && \.updatedAt <= idleSince))
            .limit(QueryParameter<Int>(3)).locking(.forUpdate, skipLocked: true)
        cleanupBatch = try SelectQuery<Session>(from: Session.delete().where(.in(\.id, batch)))
            .selecting([\.token]).adding("CASE WHEN \(\.expires) > \(cutoff) THEN \(notify(channel: 4, prefix: 5)) END")
            .build().sql

        let now1 = QueryParameter<Date>(1)
        let anonymous = SQLLiteral(SessionKind.anonymous.rawValue)
        let authenticated = SQLLiteral(SessionKind.authenticated.rawValue)
        statistics = try Session.select().selecting([])
            .adding("count(*) FILTER (WHERE \(column: discriminator) = \(anonymous) AND NOT \(\.invalidated) AND \(\.expires) > \(now1))")
            .adding("count(*) FILTER (WHERE \(column: discriminator) = \(authenticated) AND NOT \(\.invalidated) AND \(\.expires) > \(now1))")
            .adding("count(*) FILTER (WHERE \(\.expires) <= \(now1))")
            .adding("count(*) FILTER (WHERE \(\.invalidated))")
            .adding("count(*)")
            .build().sql
    }

    /// The statements of a store without custom fields.
    public static let standard: SessionStatements = {
        do { return try SessionStatements() } catch { fatalError("the session statements do not build: \(error)") }
    }()

    /// Decodes a session from a row of ``lookup``, ``insert``, ``setActiveOrder`` or ``setActiveChannel``
    /// (or of the routed lookups, whose first columns are ``lookup``'s), custom fields included.
    func decode(_ row: PostgresRow, from statement: PreparedSelect<Session>) throws -> CachedSession {
        var entity = try statement.decodeVariant(row)
        if !customFields.isEmpty {
            var fields = CustomSessionFields()
            for (i, field) in customFields.enumerated() {
                fields[field.name] = try field.decode(row, at: statement.computedColumns.lowerBound + i)
            }
            entity.modifySession { $0.customFields = fields }
        }
        return CachedSession(consume entity)
    }
}

/// The text of the statements the session store runs when no custom fields are configured, built from the
/// entity declarations (``SessionStatements``), for benchmarks and tools that run the same statements.
public enum SessionSQL {
    /// ``SessionStatements/lookup``.
    public static var lookup: String { SessionStatements.standard.lookup.sql }
    /// ``SessionStatements/lookupOnReplica``.
    public static var lookupOnReplica: String { SessionStatements.standard.lookupOnReplica }
    /// ``SessionStatements/lookupOnPrimary``.
    public static var lookupOnPrimary: String { SessionStatements.standard.lookupOnPrimary }
    /// ``SessionStatements/insert``.
    public static var insert: String { SessionStatements.standard.insert.sql }
    /// ``SessionStatements/renew``.
    public static var renew: String { SessionStatements.standard.renew }
    /// ``SessionStatements/setActiveOrder``.
    public static var setActiveOrder: String { SessionStatements.standard.setActiveOrder.sql }
    /// ``SessionStatements/setActiveChannel``.
    public static var setActiveChannel: String { SessionStatements.standard.setActiveChannel.sql }
    /// ``SessionStatements/invalidate``.
    public static var invalidate: String { SessionStatements.standard.invalidate }
    /// ``SessionStatements/deleteByUser``.
    public static var deleteByUser: String { SessionStatements.standard.deleteByUser }
    /// ``SessionStatements/deleteByActiveOrder``.
    public static var deleteByActiveOrder: String { SessionStatements.standard.deleteByActiveOrder }
    /// ``SessionStatements/deleteOrder``.
    public static var deleteOrder: String { SessionStatements.standard.deleteOrder }
    /// ``SessionStatements/deleteChannel``.
    public static var deleteChannel: String { SessionStatements.standard.deleteChannel }
    /// ``SessionStatements/cleanupBatch``.
    public static var cleanupBatch: String { SessionStatements.standard.cleanupBatch }
    /// ``SessionStatements/statistics``.
    public static var statistics: String { SessionStatements.standard.statistics }
}
