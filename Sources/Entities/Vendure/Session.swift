public import Foundation

/// Vendure's `Session` (`packages/core/src/entity/session/session.entity.ts`): the root of the `session`
/// table's single-table hierarchy; ``AnonymousSession`` and ``AuthenticatedSession`` are its rows.
///
/// ```ts
/// @Entity() @TableInheritance({ column: { type: 'varchar', name: 'type' } }) @Index(['type'])
/// export abstract class Session extends VendureEntity implements HasCustomFields { ... }
/// ```
@Entity
@VendureEntity
@TableInheritance(column: "type")
@Index(["type"])
public struct Session {
    /// The session token: 64 hex characters, unique.
    @Index(unique: true) @Column public var token: String
    /// When the session expires.
    @Column public var expires: Date
    /// Whether the session was invalidated (logged out).
    @Column public var invalidated: Bool
    /// The id of the active order, if any.
    @EntityId(nullable: true) public var activeOrderId: Int?
    /// The active order, when loaded.
    @Index @ManyToOne(Order.self) public var activeOrder: Order?
    /// The id of the active channel, if any.
    @EntityId(nullable: true) public var activeChannelId: Int?
    /// The active channel, when loaded.
    @Index @ManyToOne(Channel.self) public var activeChannel: Channel?
    /// Custom fields (`@Column(type => CustomSessionFields)`); none are configured by default.
    @Embedded public var customFields: CustomSessionFields = CustomSessionFields()
}

extension Session {
    /// Creates a session that is not yet stored (`id`, `createdAt`, `updatedAt` are nil).
    public init(
        token: String, expires: Date, invalidated: Bool = false, activeOrderId: Int? = nil,
        activeChannelId: Int? = nil, customFields: CustomSessionFields = CustomSessionFields()
    ) {
        self.token = token
        self.expires = expires
        self.invalidated = invalidated
        self.activeOrderId = activeOrderId
        self.activeChannelId = activeChannelId
        self.customFields = customFields
    }
}

/// The custom fields of a session (Vendure's `CustomSessionFields`), stored as `customFields<Name>` columns.
/// Empty by default, as in Vendure without configured custom fields.
@Embeddable
public struct CustomSessionFields {
    /// No custom fields.
    public init() {}
}

/// Vendure's `AnonymousSession`: a session without a user (`type` = `'AnonymousSession'`).
@ChildEntity(of: Session.self)
public struct AnonymousSession {
    /// Wraps a session.
    public init(_ session: Session) { self.base = session }
}

/// Vendure's `AuthenticatedSession`: a session of a logged-in user (`type` = `'AuthenticatedSession'`).
@ChildEntity(of: Session.self)
public struct AuthenticatedSession {
    /// The user, when loaded; its id is `userId`.
    @Index @ManyToOne(User.self) public var user: User?
    /// The name of the authentication strategy used (`native`, ...).
    @Column public var authenticationStrategy: String

    /// Wraps a session with its user and strategy.
    public init(_ session: Session, userId: Int?, authenticationStrategy: String) {
        self.base = session
        self.userId = userId
        self.authenticationStrategy = authenticationStrategy
    }
}

/// The kinds of session a `session` row can hold (its `type` column).
public enum SessionKind: String, Sendable, Hashable {
    /// `AnonymousSession`.
    case anonymous = "AnonymousSession"
    /// `AuthenticatedSession`.
    case authenticated = "AuthenticatedSession"
}

/// A `session` row decoded as its kind.
public enum AnySession: Sendable {
    /// A session without a user.
    case anonymous(AnonymousSession)
    /// A session of a logged-in user.
    case authenticated(AuthenticatedSession)

    /// The kind.
    public var kind: SessionKind {
        switch self {
        case .anonymous: .anonymous
        case .authenticated: .authenticated
        }
    }

    /// The common part.
    public var session: Session {
        switch self {
        case .anonymous(let s): s.base
        case .authenticated(let s): s.base
        }
    }
}

extension Session: PolymorphicEntity {
    /// Anonymous and authenticated sessions.
    public static var variantTypes: [any Entity.Type] { [AnonymousSession.self, AuthenticatedSession.self] }

    /// Decodes an `AuthenticatedSession` row as `.authenticated`, any other as `.anonymous`.
    public static func variant(decoding row: PostgresRow, discriminator: String, base: Session) throws -> AnySession {
        switch SessionKind(rawValue: discriminator) {
        case .authenticated: .authenticated(try AuthenticatedSession.decode(row: row, base: base))
        case .anonymous, nil: .anonymous(try AnonymousSession.decode(row: row, base: base))
        }
    }
}
