import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where and how to connect: a `postgres://` URI or a libpq `key=value` string, parsed by libpq itself
/// (`PQconninfoParse`), plus this package's own options.
///
/// Anything the string leaves out comes from libpq's environment when connecting: `PGHOST`, `PGPORT`,
/// `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`, `~/.pgpass`, and so on.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    /// The libpq parameters given explicitly, in order (keyword, value).
    public private(set) var parameters: [(keyword: String, value: String)]

    /// How long connecting may take, DNS, TLS and authentication included. Default 10 s, or the string's
    /// `connect_timeout` when it sets one.
    public var connectTimeout: Duration = .seconds(10)

    /// How long a cancel request (sent when a statement's timeout passes or its task is cancelled) may
    /// take until the server has acted on it. The connection sends nothing new meanwhile, so the cancel
    /// cannot hit a later statement; past this deadline the server could still act on it at any moment,
    /// so the connection is closed instead (its statements in flight fail with `connection`). A cancel
    /// that could not even start within half of it is not sent, and the statement is left to finish.
    /// Default 5 s.
    public var cancelTimeout: Duration = .seconds(5)

    /// How many prepared statements each connection keeps (LRU). 0 turns the cache off. A connection
    /// through a transaction pooler (``pooler``) never caches, whatever this says. Default 256.
    public var statementCacheCapacity: Int = 256

    /// Whether a transaction pooler such as PgBouncer may sit in front of the server, and what to do about
    /// it (see ``Pooler``). Default ``Pooler/automatic``: one statement per new connection finds out.
    public var pooler: Pooler = .automatic

    /// How many queries one connection may have in flight at once in pipeline mode. Default 128.
    public var maximumPipelineDepth: Int = 128

    /// Whether read-only queries (``PostgresQuery/isReadOnly``) that are sent to one connection together
    /// share one pipeline sync point. The server then runs such a group as one implicit transaction under
    /// `transaction_read_only` and answers it with one write instead of one per query (a lone read-only
    /// query is sent as any other). A member that fails fails alone: the members after it, which the
    /// server skipped, are sent again. While two sync points are in flight on the connection, read-only
    /// queries wait in the client and go out as one group when the first is answered (they would queue
    /// behind both at the server anyway), as long as the connection measures the server's time per group
    /// at least its round trip (else the server would wait for them). Turn it off for PgBouncer in
    /// statement mode, which refuses multi-statement transactions. Default true.
    public var groupsReadOnlyQueries: Bool = true

    /// Whether single-statement writes (`INSERT`, `UPDATE`, `DELETE`, not in a transaction block) that
    /// are sent to one connection together share one pipeline sync point: the server runs them as one
    /// implicit transaction and commits them with one WAL flush instead of one per write, which is what
    /// limits writes on a server with durable commits. Each caller still gets exactly its own outcome:
    /// members are answered only once the group has committed, and when any member fails (or the commit
    /// does) the transaction rolled back, so every member runs again on its own and the failing one gets
    /// its error from that run. A write's effects outside the database (a foreign table, `dblink`) would
    /// repeat then: turn it off if statements have such effects. A group holds its members' row locks until
    /// it commits, so writes that lock the same rows from several connections wait longer for each other
    /// (a deadlock among groups is resolved by the server, and its members run again alone). While a
    /// connection's group runs, the writes that arrive for it wait in the client and go out as the next
    /// group once the server has run the group's statements and is committing them, so that they start as
    /// soon as that commit ends. Turn it off for PgBouncer in statement mode, which refuses
    /// multi-statement transactions. Default true.
    public var groupsWrites: Bool = true

    /// The `application_name` reported to the server when the string does not set one.
    public var applicationName: String = "PostgresSessions"

    /// The event loop that waits for socket readiness.
    public var eventLoop: PostgresEventLoop = .default

    /// Parses a `postgres://` / `postgresql://` URI or a `key=value` connection string.
    /// An empty string means "all from libpq's environment".
    /// - Throws: ``PostgresError/Code-swift.struct/invalidConfiguration`` with libpq's message (passwords
    ///   redacted).
    public init(_ connectionString: String) throws {
        guard !connectionString.utf8.contains(0) else {
            throw PostgresError(code: .invalidConfiguration, message: "the connection string contains a NUL byte")
        }
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            var message = "invalid connection string"
            if let errorMessage {
                message = String(cString: errorMessage).trimmingTrailingWhitespace()
                PQfreemem(errorMessage)
            }
            throw PostgresError(
                code: .invalidConfiguration, message: Redaction.redact(message, secretsIn: connectionString))
        }
        defer { PQconninfoFree(options) }
        var parameters: [(String, String)] = []
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                parameters.append((String(cString: keyword), String(cString: value)))
            }
            option += 1
        }
        self.parameters = parameters
        // libpq checks these only when connecting; a clear error now is better.
        for keyword in ["port", "connect_timeout"] {
            if let value = self[keyword], !value.isEmpty,
                !value.split(separator: ",", omittingEmptySubsequences: false).allSatisfy({ $0.isEmpty || Int($0) != nil })
            {
                throw PostgresError(code: .invalidConfiguration, message: "invalid \(keyword): \"\(value)\" is not a number")
            }
        }
        if let timeout = self["connect_timeout"], let seconds = Int(timeout), seconds > 0 {
            connectTimeout = .seconds(max(seconds, 2))
        }
    }

    /// Same as ``init(_:)``, for a URI.
    public init(url: String) throws { try self.init(url) }

    /// All from libpq's environment (`PGHOST`, `PGPORT`, ...).
    public init() {
        parameters = []
    }

    /// `DATABASE_URL` when set, else libpq's environment.
    public static func fromEnvironment() throws -> PostgresConfiguration {
        if let url = Environment.get("DATABASE_URL"), !url.isEmpty {
            return try PostgresConfiguration(url)
        }
        return PostgresConfiguration()
    }

    /// The value of a libpq parameter given explicitly (not the environment's).
    public subscript(keyword: String) -> String? {
        get { parameters.last(where: { $0.keyword == keyword })?.value }
        set {
            parameters.removeAll { $0.keyword == keyword }
            if let newValue { parameters.append((keyword, newValue)) }
        }
    }

    /// The parameters, passwords redacted (`redactedParameters`).
    public var description: String {
        let shown = redactedParameters.map { "\($0.keyword)=\($0.value)" }
        return "PostgresConfiguration(\(shown.joined(separator: " ")))"
    }

    /// ``parameters`` with every secret replaced by `***`: the values of `password` and `sslpassword`, and
    /// a password written inside another value (libpq takes a whole connection string or URI as `dbname`,
    /// `dbname=postgres://user:secret@host/db`, and expands it only when connecting).
    var redactedParameters: [(keyword: String, value: String)] {
        parameters.map { keyword, value in
            if Self.secretKeywords.contains(keyword) { return (keyword, "***") }
            guard value.contains("password") || value.contains("://") else { return (keyword, value) }
            return (keyword, Redaction.redact(value, secretsIn: value))
        }
    }

    /// The keyword/value arrays handed to `PQconnectStartParams`: the explicit parameters, the client
    /// encoding forced to UTF8, the session time zone set to UTC (timestamps are always UTC) when
    /// ``sendsTimeZoneOption`` (else the connection sets it with its first statement), and a fallback
    /// application name.
    func libpqParameters() -> [(String, String)] {
        var out = parameters.filter { $0.keyword != "client_encoding" && $0.keyword != "options" }
        if sendsTimeZoneOption {
            let userOptions = self["options"].map { $0 + " " } ?? ""
            out.append(("options", userOptions + "-c TimeZone=UTC"))
        }
        out.append(("client_encoding", "UTF8"))
        out.append(("fallback_application_name", applicationName))
        return out
    }

    /// Parameters whose values are secrets.
    static let secretKeywords: Set<String> = ["password", "sslpassword"]

    /// The secret values that must never appear in messages.
    var secrets: [String] {
        parameters.filter { Self.secretKeywords.contains($0.keyword) }.map(\.value).filter { !$0.isEmpty }
    }
}

extension PostgresConfiguration: CustomReflectable {
    /// The settings, with the parameters as ``description`` shows them: `dump(configuration)` prints no
    /// password.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "parameters": redactedParameters, "connectTimeout": connectTimeout, "cancelTimeout": cancelTimeout,
                "statementCacheCapacity": statementCacheCapacity, "maximumPipelineDepth": maximumPipelineDepth,
                "groupsReadOnlyQueries": groupsReadOnlyQueries, "groupsWrites": groupsWrites, "pooler": pooler, "applicationName": applicationName,
                "eventLoop": eventLoop,
            ],
            displayStyle: .struct)
    }
}

enum Environment {
    static func get(_ name: String) -> String? {
        guard let p = getenv(name) else { return nil }
        return String(cString: p)
    }
}

enum Redaction {
    /// Replaces anything in `message` that could be the password written in `connectionString`.
    static func redact(_ message: String, secretsIn connectionString: String) -> String {
        var candidates: [String] = []
        // URI user info: scheme://user:password@host
        if let schemeEnd = connectionString.range(of: "://") {
            let rest = connectionString[schemeEnd.upperBound...]
            if let at = rest.lastIndex(of: "@") {
                let userInfo = rest[..<at]
                if let colon = userInfo.firstIndex(of: ":") {
                    candidates.append(String(userInfo[userInfo.index(after: colon)...]))
                }
                candidates.append(String(userInfo))
            }
            // password=... in the query string
            for part in rest.split(whereSeparator: { $0 == "?" || $0 == "&" }) where part.hasPrefix("password=") {
                candidates.append(String(part.dropFirst("password=".count)))
            }
        }
        // key=value form: password=secret or password='se cret'
        var search = connectionString[...]
        while let r = search.range(of: "password") {
            var after = search[r.upperBound...].drop(while: { $0 == " " })
            if after.first == "=" {
                after = after.dropFirst().drop(while: { $0 == " " })
                if after.first == "'" {
                    let body = after.dropFirst()
                    candidates.append(String(body.prefix(while: { $0 != "'" })))
                } else {
                    candidates.append(String(after.prefix(while: { $0 != " " })))
                }
            }
            search = search[r.upperBound...]
        }
        var result = message
        for candidate in candidates.sorted(by: { $0.count > $1.count }) where candidate.count >= 1 {
            result = result.replacingOccurrences(of: candidate, with: "***")
            if let decoded = candidate.removingPercentEncodingSimple(), decoded != candidate, !decoded.isEmpty {
                result = result.replacingOccurrences(of: decoded, with: "***")
            }
        }
        return result
    }

    static func redact(_ message: String, secrets: [String]) -> String {
        var result = message
        for s in secrets where !s.isEmpty { result = result.replacingOccurrences(of: s, with: "***") }
        return result
    }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var s = Substring(self)
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return String(s)
    }

    func removingPercentEncodingSimple() -> String? {
        var bytes: [UInt8] = []
        var it = utf8.makeIterator()
        while let b = it.next() {
            if b == UInt8(ascii: "%") {
                guard let h = it.next(), let l = it.next(), let hv = hexValue(h), let lv = hexValue(l) else { return nil }
                bytes.append(hv << 4 | lv)
            } else {
                bytes.append(b)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}
