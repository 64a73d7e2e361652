/// libpq's message for a failed connection attempt, taken apart.
///
/// Connections are opened with `PQERRORS_VERBOSE`, so a server that refuses one (its `FATAL` error
/// during start-up) is quoted with its SQLSTATE (`FATAL:  28P01: password authentication failed ...`) and
/// a `LOCATION:` line. The SQLSTATE tells a permanent failure from a transient one whatever language the
/// server writes its messages in; the location (the server's source file and line) is dropped.
struct ConnectFailure {
    /// The message, without SQLSTATE prefixes and `LOCATION:` lines.
    var message: String
    /// The SQLSTATE of a server error quoted, if any: the first transient one, else the last (so the
    /// failure counts as permanent only when every server that answered refused for good).
    var sqlState: String?
    /// Every SQLSTATE quoted (libpq reports one failure per host and address it tried).
    var sqlStates: [String] = []

    init(libpqMessage: String) {
        var lines: [Substring] = []
        /// Each server refusal: its SQLSTATE and whether it is one for good (its text decides for 08P01).
        var refusals: [(sqlState: String, permanent: Bool)] = []
        for line in libpqMessage.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.drop(while: { $0 == " " }).hasPrefix("LOCATION:") { continue }
            let before = sqlStates.count
            let stripped = Self.strippingSQLState(line, into: &sqlStates)
            lines.append(stripped)
            if sqlStates.count > before, let state = sqlStates.last {
                refusals.append((state, Self.isPermanent(sqlState: state, line: stripped)))
            }
        }
        message = lines.joined(separator: "\n").trimmingTrailingWhitespace()
        if message.isEmpty { message = "connection failed" }
        if message.contains("unsupported startup parameter") { message += Self.startupParameterHint }
        sqlState = refusals.first { !$0.permanent }?.sqlState ?? refusals.last?.sqlState
    }

    /// Appended to PgBouncer's refusal of a startup parameter: what to change.
    static let startupParameterHint = """
         (a pooler such as PgBouncer refuses startup parameters it does not track: leave `options` out of \
        the connection string and PGOPTIONS out of the environment, and set PostgresConfiguration.pooler \
        to .automatic or .pgbouncerTransaction, which set the time zone with a statement instead)
        """

    /// `...FATAL:  28P01: text` becomes `...FATAL:  text`, recording `28P01`.
    private static func strippingSQLState(_ line: Substring, into states: inout [String]) -> Substring {
        for severity in ["FATAL:  ", "ERROR:  ", "PANIC:  "] {
            guard let r = line.range(of: severity) else { continue }
            let rest = line[r.upperBound...]
            let code = rest.prefix(5)
            guard code.count == 5, code.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isUppercase) }),
                rest.dropFirst(5).hasPrefix(": ")
            else { continue }
            states.append(String(code))
            return line[..<r.upperBound] + rest.dropFirst(7)
        }
        return line
    }

    /// SQLSTATEs that refuse a connection for good, until someone changes the configuration: class 28
    /// (invalid authorization: wrong password, no such role, rejected by `pg_hba.conf`), 3D000 (no such
    /// database) and 42501 (no `CONNECT` privilege).
    static func isPermanent(sqlState: String) -> Bool {
        sqlState.hasPrefix("28") || sqlState == "3D000" || sqlState == "42501"
    }

    /// Whether one refusal (a `FATAL:` line of libpq's message, SQLSTATE removed) is for good: by its
    /// SQLSTATE, or, for 08P01, by its text (``isPoolerRefusalForGood(_:)``).
    static func isPermanent(sqlState: String, line: Substring) -> Bool {
        if isPermanent(sqlState: sqlState) { return true }
        guard sqlState == "08P01", let r = line.range(of: "FATAL:  ") else { return false }
        return isPoolerRefusalForGood(line[r.upperBound...])
    }

    /// PgBouncer answers every refusal of its own with SQLSTATE 08P01 (protocol violation), the class
    /// PostgreSQL uses for a client that breaks the protocol, which is transient for a pool. These texts,
    /// those PgBouncer 1.18 sends (and the server's own English texts it passes on when the server refuses
    /// its login), are refusals that retrying cannot fix: a wrong password or unknown user (SCRAM, md5,
    /// plain), an unknown database, `pg_hba.conf`, a startup parameter PgBouncer does not take. They are
    /// matched only under 08P01; any other 08P01 (a real protocol violation, `query_wait_timeout`,
    /// `no more connections allowed`, `server login has been failing, try again later`,
    /// `pgbouncer cannot connect to server`) stays transient. A pooler that writes them otherwise (another
    /// version or language) gets the transient treatment, as before.
    static let poolerRefusalsForGood = [
        "SASL authentication failed",
        "password authentication failed",
        "no such user",
        "no such database",
        "permission denied for database",
        "no pg_hba.conf entry",
        "pg_hba.conf rejects connection",
        "unsupported startup parameter",
    ]

    /// Whether a refusal's text (after `FATAL:  `) is one of ``poolerRefusalsForGood``, or
    /// `database "…" does not exist` / `role "…" does not exist`.
    static func isPoolerRefusalForGood(_ text: Substring) -> Bool {
        if poolerRefusalsForGood.contains(where: { text.hasPrefix($0) }) { return true }
        return (text.hasPrefix("database \"") || text.hasPrefix("role \"")) && text.contains("\" does not exist")
    }

    /// Whether every `FATAL:` line of a connect error's message (SQLSTATEs already removed) is a refusal
    /// for good through a pooler (see ``isPoolerRefusalForGood(_:)``).
    static func isPoolerRefusalForGood(message: String) -> Bool {
        var found = false
        for line in message.split(separator: "\n") {
            guard let r = line.range(of: "FATAL:  ") else { continue }
            guard isPoolerRefusalForGood(line[r.upperBound...]) else { return false }
            found = true
        }
        return found
    }

    /// libpq's own messages (not the server's) for failures that retrying cannot fix.
    static let permanentClientMessages = [
        "no password supplied",
        "certificate",
        "does not match host name",
        "SSL is not enabled on the server",
        "server does not support SSL",
        "invalid connection option",
        "invalid sslmode value",
        "invalid target_session_attrs value",
    ]
}

extension PostgresError {
    /// Whether a failed connection attempt cannot succeed by trying again: the server refused it with a
    /// permanent SQLSTATE (see `ConnectFailure.isPermanent(sqlState:)`), a pooler refused it for good
    /// (SQLSTATE 08P01 with one of PgBouncer's texts, `ConnectFailure.poolerRefusalsForGood`, on every
    /// refusal the message quotes), or libpq itself gave up for a
    /// reason of configuration (no password, a certificate that does not verify, a bad option). Refused,
    /// reset and timed-out attempts, a server starting up or shutting down (57P03, 57P01) and too many
    /// connections (53300) are transient.
    public var isPermanentConnectFailure: Bool {
        guard code == .connection else { return false }
        if let state = serverInfo?.sqlState, !state.isEmpty {
            if state == "08P01" { return ConnectFailure.isPoolerRefusalForGood(message: message) }
            return ConnectFailure.isPermanent(sqlState: state)
        }
        return ConnectFailure.permanentClientMessages.contains { message.contains($0) }
    }
}
