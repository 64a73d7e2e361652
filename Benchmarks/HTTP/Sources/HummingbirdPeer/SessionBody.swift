import Foundation
import Hummingbird
import PeerSupport

extension SessionBody: ResponseEncodable {}

extension Request {
    /// The token of an `Authorization: Bearer <token>` header, or nil.
    var bearerToken: Substring? {
        guard let value = headers[.authorization], value.hasPrefix("Bearer ") else { return nil }
        return value.dropFirst(7)
    }
}
