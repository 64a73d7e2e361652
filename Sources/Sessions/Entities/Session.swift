public import Entities
public import Foundation

/// Vendure's `Session` (`packages/core/src/entity/session/session.entity.ts`): the root of the `session`
/// table's single-table hierarchy; ``AnonymousSession`` and ``AuthenticatedSession`` are its rows.
///
/// ```ts
/// @Entity() @TableInheritance({ column: { type: 'varchar', name: 'type' } }) @Index(['type'])
/// export abstract class Session extends VendureEntity implements HasCustomFields { ... }
/// ```
@Entity
@TableInheritance(column: "type")
@Index(["type"])
public struct Session: Hashable {
    /// When the row was created.
    @CreateDateColumn public var createdAt: Date?
    /// When the row was last updated.
    @UpdateDateColumn public var updatedAt: Date?
    /// The session token: 64 hex characters, unique.
    @Index(unique: true) @Column public var token: String
    /// When the session expires.
    @Column public var expires: Date
    /// Whether the session was invalidated (logged out). `false` when a select leaves it out: the store's
    /// statements return live sessions only.
    @Column public var invalidated: Bool = false
    /// The primary key.
    @PrimaryGeneratedColumn(registration: .vendureID) public var id: Int?
    /// The id of the active order, if any.
    @EntityId(nullable: true, registration: .vendureEntityID) public var activeOrderId: Int?
    /// The active order, when loaded.
    @Index @ManyToOne(Order.self) public var activeOrder: Order?
    /// The id of the active channel, if any.
    @EntityId(nullable: true, registration: .vendureEntityID) public var activeChannelId: Int?
    /// The active channel, when loaded.
    @Index @ManyToOne(Channel.self) public var activeChannel: Channel?
    /// The custom fields (Vendure's `@Column(type => CustomSessionFields)`). Their columns are configured,
    /// not declared, as in Vendure (`SessionSchema`), so the entity macros leave this property alone and the
    /// session store reads and writes it.
    public var customFields: CustomSessionFields = CustomSessionFields()
}

extension Session: VendureEntity {
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

/// Vendure's `AnonymousSession`: a session without a user (`type` = `'AnonymousSession'`).
@ChildEntity(of: Session.self)
public struct AnonymousSession: Hashable {
    /// Wraps a session.
    public init(_ session: Session) { self.base = session }
}

/// Vendure's `AuthenticatedSession`: a session of a logged-in user (`type` = `'AuthenticatedSession'`).
@ChildEntity(of: Session.self)
public struct AuthenticatedSession: Hashable {
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
public enum AnySession: Sendable, Hashable {
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
    public static func variant(discriminator: String, decoder: VariantDecoder<Session>) throws -> AnySession {
        switch SessionKind(rawValue: discriminator) {
        case .authenticated: .authenticated(try decoder.decode(AuthenticatedSession.self))
        case .anonymous, nil: .anonymous(try decoder.decode(AnonymousSession.self))
        }
    }
}

extension Session: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The id, a token prefix (``SessionToken/redacted(_:)``), the expiry and the relation ids; never the
    /// whole token, so a session entity (or an ``AnonymousSession`` / ``AuthenticatedSession`` holding one)
    /// can be logged, printed or dumped.
    public var description: String {
        var parts = ["id: \(id.map(String.init) ?? "nil")", "token: \(SessionToken.redacted(token))", "expires: \(expires)"]
        if invalidated { parts.append("invalidated") }
        if let activeOrderId { parts.append("activeOrderId: \(activeOrderId)") }
        if let activeChannelId { parts.append("activeChannelId: \(activeChannelId)") }
        return "Session(" + parts.joined(separator: ", ") + ")"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// The stored properties, the token cut to its prefix.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "createdAt": createdAt as Any, "updatedAt": updatedAt as Any, "token": SessionToken.redacted(token),
                "expires": expires, "invalidated": invalidated, "id": id as Any, "activeOrderId": activeOrderId as Any,
                "activeOrder": activeOrder as Any, "activeChannelId": activeChannelId as Any,
                "activeChannel": activeChannel as Any, "customFields": customFields,
            ],
            displayStyle: .struct)
    }
}
