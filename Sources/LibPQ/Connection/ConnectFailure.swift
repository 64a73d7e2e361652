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
        for line in libpqMessage.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.drop(while: { $0 == " " }).hasPrefix("LOCATION:") { continue }
            lines.append(Self.strippingSQLState(line, into: &sqlStates))
        }
        message = lines.joined(separator: "\n").trimmingTrailingWhitespace()
        if message.isEmpty { message = "connection failed" }
        sqlState = sqlStates.first { !Self.isPermanent(sqlState: $0) } ?? sqlStates.last
    }

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
    /// permanent SQLSTATE (see ``ConnectFailure/isPermanent(sqlState:)``), or libpq itself gave up for a
    /// reason of configuration (no password, a certificate that does not verify, a bad option). Refused,
    /// reset and timed-out attempts, a server starting up or shutting down (57P03, 57P01) and too many
    /// connections (53300) are transient.
    public var isPermanentConnectFailure: Bool {
        guard code == .connection else { return false }
        if let state = serverInfo?.sqlState, !state.isEmpty {
            return ConnectFailure.isPermanent(sqlState: state)
        }
        return ConnectFailure.permanentClientMessages.contains { message.contains($0) }
    }
}
