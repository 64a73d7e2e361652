public import Foundation

/// A session as the store hands it out and as caches keep it: the ``Session`` row decoded as its kind
/// (``AnySession``), with the user, active order and active channel the store's statements join, and the
/// custom fields. The properties below read (and write) that entity; nothing is declared a second time.
///
/// `description`, `debugDescription` and the `Mirror` (`dump(session)`) show only a prefix of the token, so a
/// session can be logged, printed or dumped safely.
public struct CachedSession: Sendable, Hashable, CustomStringConvertible {
    /// The kind of session (the `type` discriminator column).
    public typealias Kind = SessionKind

    /// The entity, shared between copies: a session with its relations is some 500 bytes holding a dozen
    /// references, and a lookup hands it through several async frames, a cache and a renewal; a copy of
    /// the struct is one reference (copy on write when ``expires`` is set).
    ///
    /// The columns a lookup reads on every call (id, token, expiry) are kept beside it: reading them through
    /// the entity (`entity.session.expires`) copies the whole row out of the enum first.
    final class Storage: Sendable {
        let entity: AnySession
        let id: Int
        let token: String
        let expires: Date
        init(_ entity: consuming AnySession) {
            switch entity {
            case .anonymous(let s): (id, token, expires) = (s.base.id ?? 0, s.base.token, s.base.expires)
            case .authenticated(let s): (id, token, expires) = (s.base.id ?? 0, s.base.token, s.base.expires)
            }
            self.entity = entity
        }
    }

    private var storage: Storage

    /// The row, as its kind, with its relations.
    public var entity: AnySession {
        get { storage.entity }
        set { storage = Storage(newValue) }
    }

    /// Wraps a decoded session.
    public init(_ entity: consuming AnySession) { storage = Storage(entity) }

    /// Creates a session value (for tests and custom caches): the entity with these columns and relations.
    public init(
        id: Int, token: String, expires: Date, kind: Kind, activeOrderId: Int? = nil, activeChannelId: Int? = nil,
        authenticationStrategy: String? = nil, user: User? = nil, activeOrder: Order? = nil,
        activeChannel: Channel? = nil, customFields: CustomSessionFields = CustomSessionFields()
    ) {
        var base = Session(
            token: token, expires: expires, activeOrderId: activeOrderId, activeChannelId: activeChannelId,
            customFields: customFields)
        base.id = id
        base.activeOrder = activeOrder
        base.activeChannel = activeChannel
        switch kind {
        case .anonymous:
            storage = Storage(.anonymous(AnonymousSession(base)))
        case .authenticated:
            var session = AuthenticatedSession(
                base, userId: user?.id, authenticationStrategy: authenticationStrategy ?? "")
            session.user = user
            storage = Storage(.authenticated(session))
        }
    }

    /// The common part of the row.
    public var session: Session { entity.session }
    /// `session.id`.
    public var id: Int { storage.id }
    /// The secret token. Never log it; ``description`` shows a prefix only.
    public var token: String { storage.token }
    /// When the session expires (UTC).
    public var expires: Date {
        get { storage.expires }
        set {
            var changed = entity
            changed.modifySession { $0.expires = newValue }
            entity = changed
        }
    }
    /// Anonymous or authenticated.
    public var kind: Kind { entity.kind }
    /// `session.activeOrderId`.
    public var activeOrderId: Int? { entity.session.activeOrderId }
    /// `session.activeChannelId`.
    public var activeChannelId: Int? { entity.session.activeChannelId }
    /// `session.authenticationStrategy` (authenticated sessions only).
    public var authenticationStrategy: String? {
        if case .authenticated(let s) = entity { s.authenticationStrategy } else { nil }
    }
    /// `session.userId` (authenticated sessions only).
    public var userId: Int? { if case .authenticated(let s) = entity { s.userId } else { nil } }
    /// The user (authenticated sessions only): its id, identifier and verified flag.
    public var user: User? { if case .authenticated(let s) = entity { s.user } else { nil } }
    /// The active order, when there is one: its id, code and state.
    public var activeOrder: Order? { entity.session.activeOrder }
    /// The active channel, when there is one: its id, code and token.
    public var activeChannel: Channel? { entity.session.activeChannel }
    /// The custom fields.
    public var customFields: CustomSessionFields { entity.session.customFields }

    /// The key this session is cached under (SHA-256 of the token).
    public var cacheKey: SessionCacheKey { SessionCacheKey(token: token) }

    /// Shows the id, kind, a token prefix, the expiry and the relations; never the whole token.
    public var description: String {
        var parts = ["id: \(id)", "kind: \(kind.rawValue)", "token: \(SessionToken.redacted(token))", "expires: \(expires)"]
        if let user { parts.append("user: \(user.id.map(String.init) ?? "?") (\(user.identifier))") }
        if let activeOrderId { parts.append("activeOrderId: \(activeOrderId)") }
        if let activeChannelId { parts.append("activeChannelId: \(activeChannelId)") }
        return "CachedSession(" + parts.joined(separator: ", ") + ")"
    }
}

extension CachedSession {
    /// Equal when the entities are.
    public static func == (lhs: CachedSession, rhs: CachedSession) -> Bool {
        lhs.storage === rhs.storage || lhs.entity == rhs.entity
    }

    /// Hashes the entity.
    public func hash(into hasher: inout Hasher) { hasher.combine(entity) }
}

extension CachedSession: CustomDebugStringConvertible {
    /// Same as ``description``: no whole token.
    public var debugDescription: String { description }
}

extension CachedSession: CustomReflectable {
    /// The session's columns and relations, with the token cut to its prefix (``SessionToken/redacted(_:)``):
    /// `dump()` of a session, or of a cache holding sessions, prints no whole token.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "id": id, "token": SessionToken.redacted(token), "expires": expires, "kind": kind,
                "activeOrderId": activeOrderId as Any, "activeChannelId": activeChannelId as Any,
                "authenticationStrategy": authenticationStrategy as Any, "user": user as Any,
                "activeOrder": activeOrder as Any, "activeChannel": activeChannel as Any,
                "customFields": customFields,
            ],
            displayStyle: .struct)
    }
}

extension AnySession {
    /// Changes the common part of the row, whatever its kind.
    public mutating func modifySession(_ body: (inout Session) -> Void) {
        switch self {
        case .anonymous(var s):
            body(&s.base)
            self = .anonymous(s)
        case .authenticated(var s):
            body(&s.base)
            self = .authenticated(s)
        }
    }
}
