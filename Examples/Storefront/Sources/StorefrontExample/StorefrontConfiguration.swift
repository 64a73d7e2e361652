#if Hummingbird
public import Foundation
public import HummingbirdPostgresSessions
public import LibPQ

/// Settings of the example storefront server; ``fromEnvironment(_:)`` reads them from `HOST`, `PORT`,
/// `TOKEN_METHOD` (`cookie`, `bearer` or `both`), `COOKIE_SECURE`, `SESSION_CLEANUP_SECONDS`, `SESSION_CACHE`
/// (`on` or `off`) and `SESSION_EXECUTOR` (`default`, or `loop`: requests run on the pool's event loop, see
/// `PostgresSessionConfiguration.taskExecutor`).
public struct StorefrontConfiguration: Sendable {
    /// The address the server listens on. Default 127.0.0.1.
    public var host = "127.0.0.1"
    /// The port; 0 picks a free one (tests). Default 8080.
    public var port = 8080
    /// Token methods, cookie and header names.
    public var sessions = PostgresSessionConfiguration()
    /// The store's `NOTIFY` channel; servers sharing a database must use the same one.
    public var invalidationChannel = "session_cache_invalidation"
    /// Whether the store caches sessions in memory (``Storefront/cache``). Off, every lookup reads the
    /// database (`NoSessionCache`): what a server without a cache, or with a cache miss, pays; the HTTP
    /// benchmark (scripts/bench-http) measures both. Default on.
    public var sessionCache = true
    /// Time between two session cleanup passes.
    public var cleanupInterval: Duration = .seconds(3600)
    /// The pool's settings. Acquiring a connection gives up after 5 s, so that a request answers 503
    /// rather than hang while the database is down.
    public var pool: PostgresPool.Configuration = {
        var pool = PostgresPool.Configuration()
        pool.connectTimeout = .seconds(5)
        pool.acquireTimeout = .seconds(5)
        return pool
    }()
    /// The demo's users and their passwords (the `user` table of a Vendure database has no passwords:
    /// Vendure keeps them in `authentication_method`, which this package does not model).
    public var demoUsers: [String: String] = [
        "alice@example.com": "alice-password",
        "bob@example.com": "bob-password",
    ]

    /// The defaults.
    public init() {}

    /// The defaults, overridden by the environment.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws(StorefrontConfigurationError) -> StorefrontConfiguration {
        var configuration = StorefrontConfiguration()
        if let host = environment["HOST"], !host.isEmpty { configuration.host = host }
        if let port = environment["PORT"], !port.isEmpty {
            guard let value = Int(port), (0...65535).contains(value) else { throw .init(name: "PORT", requirement: "a port number") }
            configuration.port = value
        }
        switch environment["TOKEN_METHOD"] ?? "cookie" {
        case "cookie", "": configuration.sessions.tokenMethods = .cookie
        case "bearer": configuration.sessions.tokenMethods = .bearer
        case "both": configuration.sessions.tokenMethods = [.cookie, .bearer]
        default: throw .init(name: "TOKEN_METHOD", requirement: "cookie, bearer or both")
        }
        if let secure = environment["COOKIE_SECURE"], !secure.isEmpty {
            configuration.sessions.cookie.secure = secure == "1" || secure == "true"
        }
        if let seconds = environment["SESSION_CLEANUP_SECONDS"], !seconds.isEmpty {
            guard let value = Int(seconds), value > 0 else { throw .init(name: "SESSION_CLEANUP_SECONDS", requirement: "a positive number") }
            configuration.cleanupInterval = .seconds(value)
        }
        switch environment["SESSION_CACHE"] ?? "on" {
        case "on", "1", "true", "": configuration.sessionCache = true
        case "off", "0", "false": configuration.sessionCache = false
        default: throw .init(name: "SESSION_CACHE", requirement: "on or off")
        }
        switch environment["SESSION_EXECUTOR"] ?? "default" {
        case "default", "": configuration.sessions.taskExecutor = nil
        case "loop": configuration.sessions.taskExecutor = PostgresEventLoop.default.taskExecutor
        default: throw .init(name: "SESSION_EXECUTOR", requirement: "default or loop")
        }
        return configuration
    }
}

/// A setting of the environment that is out of range.
public struct StorefrontConfigurationError: Error, CustomStringConvertible {
    /// The variable.
    public var name: String
    /// What it must be.
    public var requirement: String

    /// `PORT must be a port number`.
    public var description: String { "\(name) must be \(requirement)" }
}
#endif
