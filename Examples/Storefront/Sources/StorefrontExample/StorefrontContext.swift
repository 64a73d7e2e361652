#if Hummingbird
public import Hummingbird
public import HummingbirdPostgresSessions

/// The example's request context: Hummingbird's core storage plus the request's session.
public struct StorefrontContext: PostgresSessionRequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The request's session.
    public let sessions: PostgresSessionContext

    /// Creates the context of one request.
    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.sessions = PostgresSessionContext()
    }
}
#endif
