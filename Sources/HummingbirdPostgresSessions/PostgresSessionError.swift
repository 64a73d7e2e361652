#if Hummingbird
public import HTTPTypes
public import Hummingbird
import LibPQ

/// A failure the session integration answers with an HTTP status: a fixed, short text and never any
/// internal detail (no SQL, server message, host name or token).
public struct PostgresSessionError: HTTPResponseError, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: String, Sendable {
            case databaseUnavailable, unknownChannel, authenticationRequired, forbidden, sessionEnded, notAttached
        }
        let base: Base

        /// The database did not answer (down, unreachable, pool exhausted, timed out): 503 with
        /// `Retry-After`.
        public static let databaseUnavailable = Code(base: .databaseUnavailable)
        /// The request names a channel token no channel has: 400.
        public static let unknownChannel = Code(base: .unknownChannel)
        /// The route needs an authenticated session and the request has none: 401.
        public static let authenticationRequired = Code(base: .authenticationRequired)
        /// The route's authorization check refused the authenticated session: 403.
        public static let forbidden = Code(base: .forbidden)
        /// The session ended (was logged out or expired) while this request was changing it: 409.
        public static let sessionEnded = Code(base: .sessionEnded)
        /// A handler used the session context, but no ``PostgresSessionMiddleware`` ran for the request (a
        /// programming error): 500.
        public static let notAttached = Code(base: .notAttached)

        /// The code's name, for example `databaseUnavailable`.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code

    /// Creates an error.
    public init(code: Code) { self.code = code }

    /// The HTTP status: 503, 400, 401, 403, 409 or 500.
    public var status: HTTPResponse.Status {
        switch code.base {
        case .databaseUnavailable: .serviceUnavailable
        case .unknownChannel: .badRequest
        case .authenticationRequired: .unauthorized
        case .forbidden: .forbidden
        case .sessionEnded: .conflict
        case .notAttached: .internalServerError
        }
    }

    /// The fixed text sent as the body.
    public var message: String {
        switch code.base {
        case .databaseUnavailable: "The service is temporarily unavailable. Please try again shortly."
        case .unknownChannel: "Unknown channel token."
        case .authenticationRequired: "Authentication required."
        case .forbidden: "Forbidden."
        case .sessionEnded: "The session ended while the request was running."
        case .notAttached: "Internal server error."
        }
    }

    /// `PostgresSessionError(databaseUnavailable)`.
    public var description: String { "PostgresSessionError(\(code))" }

    /// A plain-text response with ``status`` and ``message`` (and `Retry-After: 1` for 503).
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
        if code == .databaseUnavailable { headers[.retryAfter] = "1" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }

    /// Whether `error` means the database could not be reached or did not answer in time: a connection
    /// that failed or closed, a timeout, an exhausted or shut-down pool, or a server that is shutting
    /// down, starting up or out of resources (SQLSTATE classes 08, 53, 57P). Other errors (a bad
    /// statement, a constraint) are not outages.
    public static func isDatabaseUnavailable(_ error: any Error) -> Bool {
        guard let error = error as? PostgresError else { return false }
        switch error.code {
        case .connection, .connectionClosed, .timeout, .closed, .poolExhausted, .poolShutdown, .queueFull:
            return true
        case .server:
            guard let state = error.sqlState else { return false }
            return state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P")
        default:
            return false
        }
    }
}

extension PostgresSessionError {
    /// A short, safe name of `error` for logs: the `PostgresError` code and SQLSTATE, or the type's name.
    static func errorCode(_ error: any Error) -> String {
        if let error = error as? PostgresError {
            return error.sqlState.map { "\(error.code) \($0)" } ?? "\(error.code)"
        }
        return String(describing: type(of: error))
    }
}
#endif
