@testable import LibPQ
import Testing

/// Without a server: what the configuration sends for each ``PostgresConfiguration/Pooler``, PgBouncer's
/// refusals for good told from its transient errors and from real protocol violations, and the `LISTEN`
/// test.
@Suite struct PoolerConfigurationTests {
    private func options(_ configuration: PostgresConfiguration) -> String? {
        configuration.libpqParameters().last { $0.0 == "options" }?.1
    }

    @Test func theTimeZoneTravelsAtStartupOnlyForDirectConnectionsOrWhenTheStringSetsOptions() throws {
        var c = try PostgresConfiguration("postgres://u@h/db")
        #expect(c.pooler == .automatic)
        #expect(options(c) == nil)
        c.pooler = .pgbouncerTransaction
        #expect(options(c) == nil)
        c.pooler = .none
        #expect(options(c) == "-c TimeZone=UTC")
        var withOptions = try PostgresConfiguration("postgres://u@h/db?options=-c%20search_path%3Dx")
        #expect(options(withOptions) == "-c search_path=x -c TimeZone=UTC")
        withOptions.pooler = .pgbouncerTransaction
        #expect(options(withOptions) == "-c search_path=x -c TimeZone=UTC")
        #expect(String(describing: Mirror(reflecting: c).children.first { $0.label == "pooler" }!.value) == "none")
    }

    private func failure(_ raw: String) -> PostgresError {
        ConnectionCore.connectError(libpqMessage: raw, secrets: ["sekret"])
    }

    @Test func pgBouncersRefusalsForGoodArePermanentThoughTheirSQLStateIs08P01() {
        let prefix = #"connection to server at "127.0.0.1", port 54383 failed: FATAL:  08P01: "#
        for text in [
            "SASL authentication failed",
            "password authentication failed",
            #"database "nosuchdb" does not exist"#,
            #"role "nobody" does not exist"#,
            "no such database: nosuchdb",
            "unsupported startup parameter: options",
            #"permission denied for database "db""#,
            #"no pg_hba.conf entry for host "10.0.0.1", user "u", database "d", no encryption"#,
        ] {
            let e = failure(prefix + text + "\n")
            #expect(e.serverInfo?.sqlState == "08P01", "\(text)")
            #expect(e.isPermanentConnectFailure, "\(text)")
        }
    }

    @Test func otherErrorsWith08P01StayTransient() {
        let prefix = #"connection to server at "127.0.0.1", port 54383 failed: FATAL:  08P01: "#
        for text in [
            "invalid frontend message type 0",
            "query_wait_timeout",
            "no more connections allowed (max_client_conn)",
            "server login has been failing, try again later (server_login_retry)",
            "pgbouncer cannot connect to server",
            "client_login_timeout (server down)",
            // Someone's text that only mentions a refusal further in is no refusal.
            #"invalid startup packet: database "x" does not exist"#,
        ] {
            #expect(!failure(prefix + text + "\n").isPermanentConnectFailure, "\(text)")
        }
        // Two hosts: PgBouncer refusing the password, a server starting up: worth another try.
        let mixed = failure(
            "FATAL:  08P01: SASL authentication failed\nFATAL:  57P03: the database system is starting up\n")
        #expect(mixed.serverInfo?.sqlState == "57P03")
        #expect(!mixed.isPermanentConnectFailure)
        // Two PgBouncers, both refusing for good.
        let both = failure("FATAL:  08P01: SASL authentication failed\nFATAL:  08P01: no such database: x\n")
        #expect(both.isPermanentConnectFailure)
    }

    @Test func pgBouncersRefusalOfOptionsSaysWhatToChange() {
        let e = failure("connection to server at \"h\", port 6432 failed: FATAL:  08P01: unsupported startup parameter: options\n")
        #expect(e.message.contains("unsupported startup parameter: options (a pooler such as PgBouncer"))
        #expect(e.message.contains("PostgresConfiguration.pooler"))
        #expect(!e.message.contains("08P01:"))
    }

    @Test func listenIsToldByItsFirstKeyword() {
        for sql in ["LISTEN a", "listen \"a b\"", "  /* c */ -- x\n Listen a", "(LISTEN a", "LISTEN"] {
            #expect(PostgresQuery.startsListen(sql), "\(sql)")
        }
        for sql in ["UNLISTEN a", "LISTENER", "SELECT 'LISTEN a'", "NOTIFY a", "listen_1", ""] {
            #expect(!PostgresQuery.startsListen(sql), "\(sql)")
        }
        #expect(PostgresQuery.startsTransaction("  begin;") && !PostgresQuery.startsTransaction("beginning"))
    }
}
