public import Foundation

/// A session as the store hands it out and as caches keep it: Vendure's `CachedSession`, with the active
/// order and active channel loaded alongside (one query reads all of it).
///
/// `description`, `debugDescription` and the `Mirror` (`dump(session)`) show only a prefix of the token, so a
/// session can be logged, printed or dumped safely.
public struct CachedSession: Sendable, Hashable, CustomStringConvertible {
    /// The kind of session (the `type` discriminator column).
    public enum Kind: String, Sendable, Hashable {
        /// `AnonymousSession`: no user.
        case anonymous = "AnonymousSession"
        /// `AuthenticatedSession`: a logged-in user.
        case authenticated = "AuthenticatedSession"
    }

    /// The user of an authenticated session (Vendure's `CachedSessionUser`, without channel permissions).
    public struct User: Sendable, Hashable {
        /// `user.id`.
        public var id: Int
        /// `user.identifier` (the login, usually an email address).
        public var identifier: String
        /// `user.verified`.
        public var verified: Bool

        /// Creates a user value.
        public init(id: Int, identifier: String, verified: Bool) {
            self.id = id
            self.identifier = identifier
            self.verified = verified
        }
    }

    /// The session's active order.
    public struct ActiveOrder: Sendable, Hashable {
        /// `order.id`.
        public var id: Int
        /// `order.code`.
        public var code: String
        /// `order.state`.
        public var state: String

        /// Creates an order value.
        public init(id: Int, code: String, state: String) {
            self.id = id
            self.code = code
            self.state = state
        }
    }

    /// The session's active channel.
    public struct ActiveChannel: Sendable, Hashable {
        /// `channel.id`.
        public var id: Int
        /// `channel.code`.
        public var code: String
        /// `channel.token`.
        public var token: String

        /// Creates a channel value.
        public init(id: Int, code: String, token: String) {
            self.id = id
            self.code = code
            self.token = token
        }
    }

    /// `session.id`.
    public var id: Int
    /// The secret token. Never log it; ``description`` shows a prefix only.
    public var token: String
    /// When the session expires (UTC).
    public var expires: Date
    /// Anonymous or authenticated.
    public var kind: Kind
    /// `session.activeOrderId`.
    public var activeOrderId: Int?
    /// `session.activeChannelId`.
    public var activeChannelId: Int?
    /// `session.authenticationStrategy` (authenticated sessions only).
    public var authenticationStrategy: String?
    /// The user (authenticated sessions only).
    public var user: User?
    /// The active order, when there is one.
    public var activeOrder: ActiveOrder?
    /// The active channel, when there is one.
    public var activeChannel: ActiveChannel?

    /// Creates a session value.
    public init(
        id: Int, token: String, expires: Date, kind: Kind, activeOrderId: Int? = nil, activeChannelId: Int? = nil,
        authenticationStrategy: String? = nil, user: User? = nil, activeOrder: ActiveOrder? = nil,
        activeChannel: ActiveChannel? = nil
    ) {
        self.id = id
        self.token = token
        self.expires = expires
        self.kind = kind
        self.activeOrderId = activeOrderId
        self.activeChannelId = activeChannelId
        self.authenticationStrategy = authenticationStrategy
        self.user = user
        self.activeOrder = activeOrder
        self.activeChannel = activeChannel
    }

    /// The key this session is cached under (SHA-256 of the token).
    public var cacheKey: SessionCacheKey { SessionCacheKey(token: token) }

    /// Shows the id, kind, a token prefix, the expiry and the relations; never the whole token.
    public var description: String {
        var parts = ["id: \(id)", "kind: \(kind.rawValue)", "token: \(SessionToken.redacted(token))", "expires: \(expires)"]
        if let user { parts.append("user: \(user.id) (\(user.identifier))") }
        if let activeOrderId { parts.append("activeOrderId: \(activeOrderId)") }
        if let activeChannelId { parts.append("activeChannelId: \(activeChannelId)") }
        return "CachedSession(" + parts.joined(separator: ", ") + ")"
    }
}

extension CachedSession: CustomDebugStringConvertible {
    /// Same as ``description``: no whole token.
    public var debugDescription: String { description }
}

extension CachedSession: CustomReflectable {
    /// The stored properties, with the token cut to its prefix (``SessionToken/redacted(_:)``): `dump()` of a
    /// session, or of a cache holding sessions, prints no whole token.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "id": id, "token": SessionToken.redacted(token), "expires": expires, "kind": kind,
                "activeOrderId": activeOrderId as Any, "activeChannelId": activeChannelId as Any,
                "authenticationStrategy": authenticationStrategy as Any, "user": user as Any,
                "activeOrder": activeOrder as Any, "activeChannel": activeChannel as Any,
            ],
            displayStyle: .struct)
    }
}
