import Foundation
import Hummingbird

/// The body of `GET /session`, shaped as the storefront's (Examples/Storefront, `SessionResponse`):
/// `{"session":{"id":..,"kind":..,"expires":..,"user":..,"authenticationStrategy":..}}`, absent relations
/// left out.
struct SessionBody: ResponseEncodable {
    struct Session: Codable {
        var id: Int
        var kind: String
        var expires: String
        var activeOrder: String?
        var activeChannel: String?
        var user: String?
        var authenticationStrategy: String?
    }

    var session: Session
}

extension Request {
    /// The token of an `Authorization: Bearer <token>` header, or nil.
    var bearerToken: Substring? {
        guard let value = headers[.authorization], value.hasPrefix("Bearer ") else { return nil }
        return value.dropFirst(7)
    }
}
