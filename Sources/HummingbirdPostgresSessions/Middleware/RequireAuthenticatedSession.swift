#if Hummingbird
public import Hummingbird
public import Sessions

/// A route guard: lets a request through only with an authenticated session, answering 401 when it has
/// none (no session, or an anonymous one) and 403 when `isAllowed` refuses the session (Vendure's
/// `@Allow(...)` permission check, with the check supplied by the application).
///
/// Put it on the routes or groups that need a logged-in user, after ``PostgresSessionMiddleware``:
///
/// ```swift
/// router.group("account").add(middleware: RequireAuthenticatedSession()).get("orders") { ... }
/// ```
public struct RequireAuthenticatedSession<Context: PostgresSessionRequestContext>: RouterMiddleware {
    let isAllowed: @Sendable (CachedSession) async throws -> Bool

    /// Creates the guard.
    ///
    /// - Parameter isAllowed: decides, for an authenticated session, whether the route is allowed (true)
    ///   or forbidden (false: 403). Default: every authenticated session is allowed.
    public init(isAllowed: @escaping @Sendable (CachedSession) async throws -> Bool = { _ in true }) {
        self.isAllowed = isAllowed
    }

    /// Answers 401 or 403, or runs the route.
    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let session = context.sessions.session, session.kind == .authenticated else {
            throw PostgresSessionError(code: .authenticationRequired)
        }
        guard try await isAllowed(session) else { throw PostgresSessionError(code: .forbidden) }
        return try await next(request, context)
    }
}
#endif
