import Entities
import EntityFixtures
import Foundation
import LibPQ
import TestSupport
import Testing

/// The query builder's round trips through a real server, on a schema the migrator creates.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct QueryBuilderIntegrationTests {
    /// Runs `body` on a migrated schema holding one order, one channel and one user.
    func withData(
        _ body: (PostgresConnection, _ order: Order, _ channel: Channel, _ user: User) async throws -> Void
    ) async throws {
        try await TestDatabase.withSchema { connection, _ in
            _ = try await Migrator(entities: FixtureSchema.entities).migrate(on: connection)
            let order = try await Order.insert(Order(code: "A1", state: "AddingItems")).run(on: connection)
            let channel = try await Channel.insert(Channel(code: "__default_channel__", token: "ch-token")).run(on: connection)
            let user = try await User.insert(User(identifier: "ada@example.com")).run(on: connection)
            try await body(connection, order, channel, user)
        }
    }

    static let later = Date(timeIntervalSince1970: 2_000_000_000)

    @Test func insertReturnsTheStoredRow() async throws {
        try await withData { connection, order, channel, _ in
            #expect(order.id != nil && order.createdAt != nil && order.updatedAt != nil)
            #expect(order.type == "Regular" && order.active)
            let session = try await Session.insert(
                Session(token: "tok-1", expires: Self.later, activeOrderId: order.id, activeChannelId: channel.id)
            ).run(on: connection)
            #expect(session.id != nil && session.createdAt != nil)
            #expect(session.token == "tok-1" && session.expires == Self.later && session.activeOrderId == order.id)
        }
    }

    @Test func selectByTokenWithPresentAndNullRelations() async throws {
        try await withData { connection, order, channel, _ in
            // "bare" first, so "full" has id 2 while its order and channel have id 1: a root column read from
            // a joined table's column of the same name would show.
            _ = try await Session.insert(Session(token: "bare", expires: Self.later)).run(on: connection)
            _ = try await Session.insert(
                Session(token: "full", expires: Self.later, activeOrderId: order.id, activeChannelId: channel.id)
            ).run(on: connection)

            let query = Session.select().join(\.activeOrder).join(\.activeChannel)
            let full = try #require(try await query.where(\.token == "full").first(on: connection))
            #expect(full.activeOrder?.code == "A1" && full.activeOrder?.id == order.id)
            #expect(full.activeChannel?.token == "ch-token" && full.activeChannel?.id == channel.id)
            #expect(full.token == "full" && full.id == 2 && full.activeOrder?.id == 1)

            let bare = try #require(try await query.where(\.token == "bare").first(on: connection))
            #expect(bare.activeOrder == nil && bare.activeChannel == nil)
            #expect(try await query.where(\.token == "missing").first(on: connection) == nil)
        }
    }

    @Test func inIsNullAndOrOrderAndLimit() async throws {
        try await withData { connection, order, _, _ in
            for i in 0..<5 {
                _ = try await Session.insert(
                    Session(
                        token: "t\(i)", expires: Self.later.addingTimeInterval(Double(i)), invalidated: i == 4,
                        activeOrderId: i.isMultiple(of: 2) ? order.id : nil)
                ).run(on: connection)
            }
            func tokens(_ q: SelectQuery<Session>) async throws -> [String] {
                try await q.order(by: \.token).all(on: connection).map(\.token)
            }
            #expect(try await tokens(Session.select().where(.in(\.token, ["t1", "t3", "nope"]))) == ["t1", "t3"])
            #expect(try await tokens(Session.select().where(.isNull(\.activeOrderId))) == ["t1", "t3"])
            #expect(try await tokens(Session.select().where(\.activeOrderId == order.id && \.invalidated == false)) == ["t0", "t2"])
            #expect(try await tokens(Session.select().where(\.token == "t1" || \.invalidated == true)) == ["t1", "t4"])
            #expect(try await tokens(Session.select().where(\.expires > Self.later.addingTimeInterval(2))) == ["t3", "t4"])
            #expect(try await tokens(Session.select().where(\.token != "t0" && !(\.token < "t3"))) == ["t3", "t4"])
            let latest = try await Session.select().order(by: \.expires, .descending).limit(2).all(on: connection)
            #expect(latest.map(\.token) == ["t4", "t3"])
            let page = try await Session.select().order(by: \.expires).limit(2).offset(2).all(on: connection)
            #expect(page.map(\.token) == ["t2", "t3"])
        }
    }

    @Test func updateAndDelete() async throws {
        try await withData { connection, _, _, _ in
            let stored = try await Session.insert(Session(token: "u", expires: Self.later)).run(on: connection)
            _ = try await Session.insert(Session(token: "v", expires: Self.later)).run(on: connection)
            let newExpiry = Self.later.addingTimeInterval(3600)
            let updated = try await Session.update().set(\.expires, to: newExpiry).set(\.invalidated, to: true)
                .where(\.id == stored.id).run(on: connection)
            #expect(updated == 1)
            let reread = try #require(try await Session.select().where(\.token == "u").first(on: connection))
            #expect(reread.expires == newExpiry && reread.invalidated)
            #expect(try await Session.delete().where(\.invalidated == true).run(on: connection) == 1)
            #expect(try await Session.select().all(on: connection).map(\.token) == ["v"])
        }
    }

    @Test func singleTableInheritanceKinds() async throws {
        try await withData { connection, order, _, user in
            let anonymous = try await AnonymousSession.insert(AnonymousSession(Session(token: "anon", expires: Self.later)))
                .run(on: connection)
            #expect(anonymous.token == "anon" && anonymous.id != nil)
            let authenticated = try await AuthenticatedSession.insert(
                AuthenticatedSession(
                    Session(token: "auth", expires: Self.later, activeOrderId: order.id), userId: user.id,
                    authenticationStrategy: "native")
            ).run(on: connection)
            #expect(authenticated.userId == user.id && authenticated.authenticationStrategy == "native")

            // The root returns both kinds.
            let all = try await Session.select().order(by: \.token).allWithDiscriminator(on: connection)
            #expect(all.map(\.discriminator) == ["AnonymousSession", "AuthenticatedSession"])
            let variants = try await Session.select().join(\.activeOrder).order(by: \.token).variants(on: connection)
            #expect(variants.map(\.kind) == [.anonymous, .authenticated])
            guard case .authenticated(let auth) = variants[1] else { Issue.record("not authenticated"); return }
            #expect(auth.userId == user.id && auth.authenticationStrategy == "native")
            #expect(auth.activeOrder?.code == "A1")

            // A child selects only its kind, and can join its own and its parent's relations.
            let children = try await AuthenticatedSession.select().join(\.user).join(\.activeOrder).all(on: connection)
            #expect(children.map(\.token) == ["auth"])
            #expect(children.first?.user?.identifier == "ada@example.com")
            #expect(children.first?.activeOrder?.id == order.id)
            #expect(try await AnonymousSession.select().all(on: connection).map(\.token) == ["anon"])
            #expect(try await AuthenticatedSession.update().set(\.authenticationStrategy, to: "oauth").run(on: connection) == 1)
            #expect(try await AnonymousSession.delete().run(on: connection) == 1)
            #expect(try await Session.select().all(on: connection).map(\.token) == ["auth"])
        }
    }

    /// Statements built once and run with binds: a write whose rows come back with their relations (one
    /// round trip), a polymorphic partial select decoded by position, a locked batch delete.
    @Test func preparedTemplatesRoundTrip() async throws {
        try await withData { connection, order, _, user in
            let token = QueryParameter<String>(1)
            let insert = try SelectQuery<Session>(
                from: AuthenticatedSession.values().set(\.token, to: token).set(\.expires, to: QueryParameter<Date>(2))
                    .set(\.invalidated, to: SQLLiteral.false).set(\.userId, to: QueryParameter<Int?>(3))
                    .set(\.authenticationStrategy, to: QueryParameter<String>(4))
                    .set(\.activeOrderId, to: QueryParameter<Int?>(5))
            )
            .includingVariantColumns()
            .join(\AuthenticatedSession.user, selecting: [\.identifier])
            .join(\.activeOrder, selecting: [\.code, \.state])
            .prepare()
            var binds = PostgresBindings()
            binds.append("prepared")
            binds.append(Self.later)
            binds.append(user.id)
            binds.append("native")
            binds.append(order.id)
            let rows = try await connection.query(insert.query(binds: binds))
            guard case .authenticated(let created) = try insert.decodeVariant(rows[0]) else {
                Issue.record("not decoded as authenticated")
                return
            }
            #expect(created.token == "prepared" && created.authenticationStrategy == "native" && created.id != nil)
            #expect(created.user?.identifier == "ada@example.com" && created.user?.id == user.id)
            // A partial join leaves the other properties at their defaults.
            #expect(created.activeOrder?.code == "A1" && created.activeOrder?.state == "AddingItems")
            #expect(created.activeOrder?.createdAt == nil && created.activeOrder?.type == "Regular")
            // Its key is not selected twice: it is the session's join column.
            #expect(created.activeOrder?.id == order.id)

            // Read back by a prepared, partial, polymorphic lookup with a condition on a joined relation.
            let lookup = try Session.select().selecting([\.token, \.expires, \.invalidated, \.id]).includingVariantColumns()
                .join(\AuthenticatedSession.user, selecting: [\.identifier])
                .where(\.token == token && .joined(\AuthenticatedSession.user, .isNull(\User.deletedAt)))
                .prepare()
            var tokenBind = PostgresBindings()
            tokenBind.append("prepared")
            let found = try await connection.query(lookup.query(binds: tokenBind))
            #expect(found.count == 1)
            let decoded = try lookup.decodeVariant(found[0])
            #expect(decoded.kind == .authenticated && decoded.session.token == "prepared")
            #expect(decoded.session.createdAt == nil && decoded.session.activeOrderId == nil)  // not selected
            // A required column left out of the select is a decoding error, not a made-up value.
            let tooFew = try Session.select().selecting([\.token]).includingVariantColumns().where(\.token == token).prepare()
            let tooFewRows = try await connection.query(tooFew.query(binds: tokenBind))
            #expect(throws: PostgresError.self) { try tooFew.decodeVariant(tooFewRows[0]) }
            _ = try await connection.query("UPDATE \"user\" SET \"deletedAt\" = now()")
            #expect(try await connection.query(lookup.query(binds: tokenBind)).isEmpty)

            // A join column naming no row (possible without a foreign key): the relation is nil (its NOT NULL
            // "code" is), though the key it would have is in the join column.
            _ = try await connection.query(
                #"DO $$ DECLARE c text; BEGIN FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = '"session"'::regclass AND contype = 'f' LOOP EXECUTE format('ALTER TABLE "session" DROP CONSTRAINT %I', c); END LOOP; END $$"#)
            _ = try await connection.query(#"UPDATE "session" SET "activeOrderId" = -1"#)
            let withOrder = try Session.select().selecting([\.token, \.expires, \.invalidated, \.id, \.activeOrderId])
                .join(\.activeOrder, selecting: [\.code]).where(\.token == token).prepare()
            let dangling = try withOrder.decode(try await connection.query(withOrder.query(binds: tokenBind))[0])
            #expect(dangling.activeOrderId == -1 && dangling.activeOrder == nil)

            // A batch delete that skips locked rows, returning the tokens.
            let batch = Session.select().selecting([\.id]).where(\.expires > QueryParameter<Date>(1))
                .limit(QueryParameter<Int>(2)).locking(.forUpdate, skipLocked: true)
            let delete = try SelectQuery<Session>(from: Session.delete().where(.in(\.id, batch))).selecting([\.token]).prepare()
            var deleteBinds = PostgresBindings()
            deleteBinds.append(Date(timeIntervalSince1970: 0))
            deleteBinds.append(10)
            let deleted = try await connection.query(delete.query(binds: deleteBinds)).decodeColumn(String.self)
            #expect(deleted == ["prepared"])
        }
    }
}
