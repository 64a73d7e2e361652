#if Hummingbird
public import HTTPTypes
public import Hummingbird

/// Settings of ``PostgresSessionMiddleware``: where the session token travels, the cookie's attributes, and
/// the headers Vendure uses for the bearer token and the channel.
///
/// The defaults are Vendure's: the token in a cookie named `session` (HttpOnly, SameSite=Lax), the bearer
/// token in `vendure-auth-token`, the channel token in `vendure-token`.
public struct PostgresSessionConfiguration: Sendable {
    /// Where the session token is read from and written to (Vendure's `authOptions.tokenMethod`).
    public struct TokenMethods: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        /// Creates a set of methods from its raw bits.
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// A cookie (``PostgresSessionConfiguration/cookie``): the browser keeps and sends it.
        public static let cookie = TokenMethods(rawValue: 1 << 0)
        /// `Authorization: Bearer <token>`; new tokens go out in ``PostgresSessionConfiguration/authTokenHeader``.
        public static let bearer = TokenMethods(rawValue: 1 << 1)
    }

    /// The attributes of the session cookie.
    public struct Cookie: Sendable, Hashable {
        /// The cookie's name. Default `session` (Vendure's).
        public var name: String
        /// `Domain`, or nil for the host that answered.
        public var domain: String?
        /// `Path`. Default `/`.
        public var path: String
        /// `Secure`: sent over HTTPS only. Default false so that the example works on plain HTTP; set it in
        /// production.
        public var secure: Bool
        /// `SameSite`. Default `Lax` (Vendure's).
        public var sameSite: Hummingbird.Cookie.SameSite
        /// `HttpOnly`: scripts cannot read the token. Default true.
        public var httpOnly: Bool

        /// Creates cookie attributes.
        public init(
            name: String = "session", domain: String? = nil, path: String = "/", secure: Bool = false,
            sameSite: Hummingbird.Cookie.SameSite = .lax, httpOnly: Bool = true
        ) {
            self.name = name
            self.domain = domain
            self.path = path
            self.secure = secure
            self.sameSite = sameSite
            self.httpOnly = httpOnly
        }
    }

    /// Which of cookie and bearer token are accepted. Default `.cookie`. With both, a cookie wins over a
    /// bearer header (Vendure's order), and new tokens go out both ways.
    public var tokenMethods: TokenMethods
    /// The session cookie's attributes (used when ``tokenMethods`` contains `.cookie`).
    public var cookie: Cookie
    /// The response header that carries a new or replaced session's token in bearer mode. Default
    /// `vendure-auth-token`. A browser client on another origin needs it listed in the CORS
    /// `Access-Control-Expose-Headers`.
    public var authTokenHeader: HTTPField.Name
    /// The request header (and query parameter of the same name) holding the token of the channel the
    /// request is for. Default `vendure-token`; nil to ignore channels.
    public var channelTokenKey: String?
    /// The channel token used when a request names none (Vendure falls back to its default channel); nil to
    /// leave a session's channel alone when the request names none.
    public var defaultChannelToken: String?
    /// Where the middleware runs the session lookup and the rest of the request (the handler included):
    /// nil (the default) leaves them on the task Hummingbird runs them on; an executor, such as the
    /// pool's event loop (`PostgresEventLoop.default.taskExecutor`), makes the request's task prefer it,
    /// so that its queries are sent and answered on the loop's thread without a thread switch each, at
    /// the cost of one switch onto the loop and one back per request. Measured (Benchmarks/RESULTS.md,
    /// scripts/bench-http) for a handler that makes one query, it is slower: 0.74–0.79x the requests per
    /// second from 16 to 256 connections, because those two switches cost more than the query's own; it
    /// can only pay for handlers that make several queries (not measured). Only for handlers that never
    /// block: a handler that blocks the loop's thread stalls every connection on it.
    public var taskExecutor: (any TaskExecutor)?

    /// Creates a configuration.
    public init(
        tokenMethods: TokenMethods = .cookie,
        cookie: Cookie = Cookie(),
        authTokenHeader: HTTPField.Name = HTTPField.Name("vendure-auth-token")!,
        channelTokenKey: String? = "vendure-token",
        defaultChannelToken: String? = nil
    ) {
        self.tokenMethods = tokenMethods
        self.cookie = cookie
        self.authTokenHeader = authTokenHeader
        self.channelTokenKey = channelTokenKey
        self.defaultChannelToken = defaultChannelToken
    }
}
#endif
