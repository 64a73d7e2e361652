#if Hummingbird
public import Hummingbird
public import HummingbirdAuth
public import Sessions

/// HummingbirdAuth's `SessionAuthenticator` for these sessions: turns the request's authenticated session
/// into the application's identity type and sets `context.identity`, so HummingbirdAuth's
/// `IsAuthenticatedMiddleware`, `requireIdentity()` and authorization policies work unchanged.
///
/// ```swift
/// router.add(middleware: PostgresSessionMiddleware(store: store))
/// router.add(middleware: PostgresSessionAuthenticator { session, _ in
///     try await users.find(id: session.user?.id)          // your user type
/// })
/// ```
public struct PostgresSessionAuthenticator<Context: PostgresSessionRequestContext & AuthRequestContext>:
    AuthenticatorMiddleware
{
    public typealias Identity = Context.Identity

    let identify: @Sendable (CachedSession, Context) async throws -> Identity?

    /// Creates the authenticator.
    ///
    /// - Parameters:
    ///   - context: the request context type (to help type inference).
    ///   - identify: the identity of an authenticated session (called only for those), or nil to leave
    ///     the request unauthenticated.
    public init(
        context: Context.Type = Context.self, identify: @escaping @Sendable (CachedSession, Context) async throws -> Identity?
    ) {
        self.identify = identify
    }

    /// The identity of the request's authenticated session, or nil.
    public func authenticate(request: Request, context: Context) async throws -> Identity? {
        guard let session = context.sessions.session, session.kind == .authenticated else { return nil }
        return try await identify(session, context)
    }
}
#endif
