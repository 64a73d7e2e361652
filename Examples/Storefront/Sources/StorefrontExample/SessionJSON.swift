#if Hummingbird
import Foundation
import Hummingbird
import Sessions

/// The body of `GET /session` and of the routes that change the session: the session without its token
/// (the token is in the HttpOnly cookie or the auth-token header, never in a body).
struct SessionResponse: ResponseEncodable {
    struct Session: Codable {
        var id: Int
        var kind: String
        var expires: String
        var activeOrder: String?
        var activeChannel: String?
        var user: String?
        var authenticationStrategy: String?
    }

    var session: Session?

    private enum CodingKeys: String, CodingKey { case session }

    /// `{"session": null}` when there is none, rather than `{}`.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(session, forKey: .session)
    }

    /// `.iso8601` (UTC, `2027-12-05T10:12:39Z`), made once: the `.iso8601` accessor builds a new style (with
    /// its time zone) on every call.
    private static let iso8601 = Date.ISO8601FormatStyle()

    init(_ session: CachedSession?) {
        self.session = session.map { s in
            Session(
                id: s.id, kind: s.kind == .authenticated ? "authenticated" : "anonymous",
                expires: Self.iso8601.format(s.expires), activeOrder: s.activeOrder?.code,
                activeChannel: s.activeChannel?.code, user: s.user?.identifier,
                authenticationStrategy: s.authenticationStrategy)
        }
    }
}

/// The body of `GET /me`.
struct MeResponse: ResponseEncodable {
    var id: Int?
    var identifier: String?
}

/// The body of `POST /login`.
struct LoginRequest: Decodable {
    var username: String
    var password: String
}
#endif
