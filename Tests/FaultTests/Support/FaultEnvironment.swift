import Foundation
import LibPQ
import Testing

/// What `scripts/faults` hands the fault tests: its own throwaway cluster (which the tests freeze, kill,
/// restart and stop), the certificates it made, and the DML-only role.
///
/// Outside `scripts/faults` the tests are skipped with ``skipMessage``. In CI (`CI=true`) they run anyway
/// and fail in ``current()`` with the name of the missing variable: a CI run must never skip them.
struct FaultEnvironment: Sendable {
    /// The superuser URL (plain TCP, `sslmode=disable`).
    let databaseURL: String
    let host: String
    let port: Int
    let dataDirectory: String
    let binDirectory: String
    let serverLog: String
    /// The OS user that owns the cluster (`postgres` when the tests run as root), or empty: run `pg_ctl`
    /// as ourselves.
    let owner: String
    /// The CA that signed the server's certificate, and an unrelated one.
    let caFile: String
    let wrongCAFile: String
    /// A role that may log in over TLS only and is granted nothing by default.
    let appRole: String
    let appPassword: String
    /// Where ``FaultReport`` appends the figures (may be empty).
    let reportFile: String

    static let isCI: Bool = ProcessInfo.processInfo.environment["CI"].map { $0 == "true" || $0 == "1" } ?? false

    static let isConfigured: Bool = isCI || ProcessInfo.processInfo.environment["FAULT_DATABASE_URL"] != nil

    static let skipMessage: Comment =
        "the fault suite needs the server scripts/faults starts (it freezes, kills and restarts it): run scripts/faults"

    struct Missing: Error, CustomStringConvertible {
        let variable: String
        var description: String {
            "\(variable) is not set: the fault tests run from scripts/faults, which starts their server and sets it"
        }
    }

    /// The environment, or an error naming the first variable missing.
    static func current() throws -> FaultEnvironment {
        let env = ProcessInfo.processInfo.environment
        func value(_ name: String, allowEmpty: Bool = false) throws -> String {
            guard let v = env[name], allowEmpty || !v.isEmpty else { throw Missing(variable: name) }
            return v
        }
        guard let port = Int(try value("FAULT_PORT")) else { throw Missing(variable: "FAULT_PORT (a number)") }
        return FaultEnvironment(
            databaseURL: try value("FAULT_DATABASE_URL"), host: try value("FAULT_HOST"), port: port,
            dataDirectory: try value("FAULT_PG_DATA"), binDirectory: try value("FAULT_PG_BIN"),
            serverLog: try value("FAULT_PG_LOG"), owner: try value("FAULT_PG_OWNER", allowEmpty: true),
            caFile: try value("FAULT_TLS_CA"), wrongCAFile: try value("FAULT_TLS_WRONG_CA"),
            appRole: try value("FAULT_APP_ROLE"), appPassword: try value("FAULT_APP_PASSWORD"),
            reportFile: env["FAULT_REPORT"] ?? "")
    }

    /// The superuser's configuration, with a unique `application_name` when given (to find the backends
    /// of one pool in `pg_stat_activity`) and `search_path` set to `schema` when given.
    func superuser(applicationName: String? = nil, schema: String? = nil) throws -> PostgresConfiguration {
        var config = try PostgresConfiguration(databaseURL)
        config.connectTimeout = .seconds(10)
        if let applicationName { config["application_name"] = applicationName }
        if let schema { config["options"] = "-c search_path=\(schema)" }
        return config
    }

    /// A `key=value` configuration for the DML-only role over TLS, `sslmode=verify-full`.
    ///
    /// - Parameters:
    ///   - ca: the root certificate file to trust (default: the CA that signed the server's).
    ///   - hostName: the name the certificate is checked against (the TCP address stays 127.0.0.1).
    ///   - password: the password to send (default: the right one).
    func app(
        ca: String? = nil, hostName: String? = nil, password: String? = nil, database: String = "postgres",
        schema: String? = nil
    ) throws -> PostgresConfiguration {
        var parts = [
            "host=\(hostName ?? host)", "hostaddr=\(host)", "port=\(port)", "dbname=\(database)",
            "user=\(appRole)", "password=\(password ?? appPassword)", "sslmode=verify-full",
            "sslrootcert=\(ca ?? caFile)",
        ]
        if let schema { parts.append("options='-c search_path=\(schema)'") }
        var config = try PostgresConfiguration(parts.joined(separator: " "))
        config.connectTimeout = .seconds(10)
        return config
    }
}
