import CLibPQ
import Logging

/// Receives a connection's notices (libpq's notice receiver) and writes them to the connection's logger,
/// where libpq's default would print them to stderr: `NOTICE`, `INFO`, `LOG` and `DEBUG` at `.debug`,
/// `WARNING` at `.warning`, and the server's unsolicited `FATAL` errors (a terminated backend, a server
/// shutting down, which libpq reports as notices when no query waits for them) at `.error`.
///
/// The sink outlives its `PGconn`: the connection holds it, and whoever frees the `PGconn` keeps a
/// reference to it until then.
// @unchecked Sendable: immutable after init (a Logger is a value).
final class NoticeSink: @unchecked Sendable {
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Makes this sink `conn`'s notice receiver.
    func install(on conn: OpaquePointer) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = PQsetNoticeReceiver(conn, { context, result in
            guard let context, let result else { return }
            Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue().receive(result)
        }, context)
    }

    private func receive(_ result: OpaquePointer) {
        func field(_ code: Character) -> String? {
            guard let ascii = code.asciiValue, let p = PQresultErrorField(result, Int32(ascii)) else { return nil }
            return String(cString: p)
        }
        let severity = field("V") ?? field("S") ?? "NOTICE"
        let level: Logger.Level
        switch severity {
        case "WARNING": level = .warning
        case "ERROR", "FATAL", "PANIC": level = .error
        default: level = .debug
        }
        guard logger.logLevel <= level else { return }
        var metadata: Logger.Metadata = ["psql.notice.severity": "\(severity)"]
        if let state = field("C") { metadata["psql.notice.sqlstate"] = "\(state)" }
        logger.log(level: level, "server \(severity.lowercased()): \(field("M") ?? "")", metadata: metadata)
    }
}
