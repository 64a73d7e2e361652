#if Hummingbird
import HTTPTypes
import Hummingbird

/// Where a request's session token came from.
enum SessionTokenSource: Sendable, Equatable {
    case cookie
    case bearer
}

extension PostgresSessionConfiguration {
    /// The session token of `request` (Vendure's `extractSessionToken`): the cookie when cookies are
    /// accepted and one is present, else `Authorization: Bearer <token>` when bearer tokens are accepted.
    /// The token is returned as sent; whether it is well formed is the store's check.
    func extractToken(from request: Request) -> (token: String, source: SessionTokenSource)? {
        if tokenMethods.contains(.cookie), let value = request.cookies[cookie.name]?.value, !value.isEmpty {
            return (String(value), .cookie)
        }
        if tokenMethods.contains(.bearer), let header = request.headers[.authorization],
            let token = Self.bearerToken(header)
        {
            return (token, .bearer)
        }
        return nil
    }

    /// `bearer <token>`, any case, surrounding white space ignored (Vendure's `/^bearer\s(.+)$/i` on the
    /// trimmed header).
    static func bearerToken(_ header: String) -> String? {
        let trimmed = header.trimmingWhitespace()
        guard trimmed.utf8.count > 7 else { return nil }
        let scheme = trimmed.prefix(6)
        guard scheme.lowercased() == "bearer" else { return nil }
        let rest = trimmed.dropFirst(6)
        guard let separator = rest.first, separator == " " || separator == "\t" else { return nil }
        let token = rest.dropFirst()
        return token.isEmpty ? nil : String(token)
    }

    /// The channel token of `request`: the query parameter, else the header (Vendure reads them in that
    /// order), else ``defaultChannelToken``.
    func channelToken(of request: Request) -> String? {
        guard let key = channelTokenKey else { return defaultChannelToken }
        if let value = request.uri.queryParameters[key[...]], !value.isEmpty { return String(value) }
        if let name = HTTPField.Name(key), let value = request.headers[name], !value.isEmpty { return value }
        return defaultChannelToken
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        var s = self[...]
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}
#endif
