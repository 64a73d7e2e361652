#if Hummingbird
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting

/// One `Set-Cookie` header, parsed.
struct SetCookie: Equatable {
    var name: String
    var value: String
    /// Attribute names lower-cased (`max-age`, `httponly`, `samesite`), values as sent ("" for flags).
    var attributes: [String: String]

    var maxAge: Int? { attributes["max-age"].flatMap { Int($0) } }

    init?(_ header: String) {
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = parts.first, let equals = first.firstIndex(of: "=") else { return nil }
        name = String(first[..<equals])
        value = String(first[first.index(after: equals)...])
        attributes = [:]
        for part in parts.dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1)
            attributes[pair[0].lowercased()] = pair.count > 1 ? String(pair[1]) : ""
        }
    }
}

extension TestResponse {
    /// The `Set-Cookie` headers of the response.
    var setCookies: [SetCookie] { headers[values: .setCookie].compactMap(SetCookie.init) }

    /// The `session` cookie the response sets, if any.
    var sessionCookie: SetCookie? { setCookies.first { $0.name == "session" } }

    var text: String { String(buffer: body) }

    /// The body as JSON.
    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8))) as? [String: Any]
    }

    /// `session` of a session body: nil when the body says `"session": null`.
    var session: [String: Any]? { json?["session"] as? [String: Any] }
}

extension TestClientProtocol {
    /// Sends a request with the session cookie `token` (if any) and extra headers.
    func send(
        _ method: HTTPRequest.Method, _ uri: String, cookie token: String? = nil, bearer: String? = nil,
        headers extra: HTTPFields = [:], json: String? = nil
    ) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.cookie] = "session=\(token)" }
        if let bearer { headers[.authorization] = "Bearer \(bearer)" }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(string: json)
        }
        return try await executeRequest(uri: uri, method: method, headers: headers, body: body)
    }

    /// Logs `user` in with their demo password; returns the response.
    func logIn(_ user: String, password: String? = nil, cookie token: String? = nil, bearer: String? = nil) async throws -> TestResponse {
        let password = password ?? (user.split(separator: "@").first.map { "\($0)-password" } ?? "")
        return try await send(
            .post, "/login", cookie: token, bearer: bearer, json: #"{"username": "\#(user)", "password": "\#(password)"}"#)
    }
}

/// Whether `token` looks like a session token: 64 lowercase hex characters.
func isSessionToken(_ token: String?) -> Bool {
    guard let token, token.utf8.count == 64 else { return false }
    return token.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
}

/// Vendure's session duration in seconds ('1y' as the ms package reads it).
let yearInSeconds = 31_557_600
#endif
