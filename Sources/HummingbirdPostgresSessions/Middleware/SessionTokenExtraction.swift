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
        // On UTF-8 bytes: the scheme, the separator and the white space are ASCII, and this runs on every
        // request (trimming and comparing `Character`s would break graphemes for nothing).
        var bytes = header.utf8[...]
        while let byte = bytes.first, isBlank(byte) { bytes.removeFirst() }
        while let byte = bytes.last, isBlank(byte) { bytes.removeLast() }
        guard bytes.count > 7 else { return nil }
        // "bearer" in any case: setting bit 5 lower-cases an ASCII letter and makes no other byte one.
        guard bytes.prefix(6).elementsEqual("bearer".utf8, by: { $0 | 0x20 == $1 }) else { return nil }
        let rest = bytes.dropFirst(6)
        guard let separator = rest.first, isBlank(separator) else { return nil }
        // Cut after ASCII bytes only, so on a character boundary: the conversion cannot fail.
        return String(rest.dropFirst())
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    /// The channel token of `request`: the query parameter, else the header (Vendure reads them in that
    /// order), else ``defaultChannelToken``.
    func channelToken(of request: Request) -> String? {
        guard let key = channelTokenKey else { return defaultChannelToken }
        if let value = request.uri.queryParameters[key[...]], !value.isEmpty { return String(value) }
        if let name = HTTPField.Name(key), let value = request.headers[name], !value.isEmpty { return value }
        return defaultChannelToken
    }
}

#endif
