/// The key a session is cached under: the SHA-256 of its token, in hex.
///
/// Caches never see raw tokens as keys, so a shared cache (Redis, memcached) holds no usable credential in
/// its key space, and the same string is what invalidation notifications carry between processes.
public struct SessionCacheKey: Hashable, Sendable, CustomStringConvertible {
    /// 64 lowercase hex characters.
    public let rawValue: String

    /// The key of `token`.
    public init(token: String) { rawValue = SessionToken.hash(token) }

    /// A key from its hex form (as received in a notification payload).
    public init(hash: String) { rawValue = hash }

    /// The hash: it reveals nothing about the token.
    public var description: String { rawValue }
}

/// Where the session store caches sessions between lookups, like Vendure's `SessionCacheStrategy`.
///
/// Implementations must be safe to call concurrently. The store puts a timeout on every call (unless
/// ``completesImmediately`` is true) and treats a failing or slow cache as a miss: a cache can slow a
/// request down by at most that timeout and never fails it.
public protocol SessionCacheStrategy: Sendable {
    /// The cached session for `key`, or nil.
    func get(_ key: SessionCacheKey) async throws -> CachedSession?
    /// Stores `session` under `key` (replacing what was there).
    func set(_ session: CachedSession, for key: SessionCacheKey) async throws
    /// Removes the entry for `key`, if any.
    func delete(_ key: SessionCacheKey) async throws
    /// Removes every entry.
    func clear() async throws
    /// True for in-process caches that never suspend for long (the store then skips its timeout wrapper,
    /// which costs two tasks per call). Default: false.
    var completesImmediately: Bool { get }
}

extension SessionCacheStrategy {
    /// False: calls get a timeout.
    public var completesImmediately: Bool { false }
}

/// A cache that keeps nothing: every lookup reads the database.
public struct NoSessionCache: SessionCacheStrategy {
    /// Creates the no-op cache.
    public init() {}
    public func get(_ key: SessionCacheKey) async throws -> CachedSession? { nil }
    public func set(_ session: CachedSession, for key: SessionCacheKey) async throws {}
    public func delete(_ key: SessionCacheKey) async throws {}
    public func clear() async throws {}
    /// True.
    public var completesImmediately: Bool { true }
}
