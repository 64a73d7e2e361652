import LibPQ
import Testing

extension FaultSuite {
    /// (g) TLS with `sslmode=verify-full` against certificates `scripts/faults` made with openssl, and
    /// SCRAM: the right CA and name connect over TLS; a wrong CA, a wrong host name and a wrong password
    /// fail at once with a typed connection error.
    @Suite struct TLSAndAuthentication {
        @Test func verifyFullWithTheRightCAConnectsOverTLS() async throws {
            let env = try FaultEnvironment.current()
            let connection = try await PostgresConnection.connect(configuration: try env.app())
            let (ssl, user) = try await connection.query(
                "SELECT ssl, current_user::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
            )[0].decode((Bool, String).self)
            await connection.close()
            // The role may not come in without TLS (pg_hba.conf rejects it).
            var plain = try env.app()
            plain["sslmode"] = "disable"
            let refused = try await #require(throws: PostgresError.self) {
                try await PostgresConnection.connect(configuration: plain)
            }
            FaultReport.emit("g-tls", ["verify_full_ssl": ssl, "user": user, "without_tls": FaultReport.label(refused)])
            #expect(ssl, "the connection uses TLS")
            #expect(user == env.appRole)
            #expect(refused.code == .connection)
        }

        /// Connection settings that can never succeed, by the name they are reported under.
        enum BadSetting: String, CaseIterable, Sendable, CustomTestStringConvertible {
            case wrongCA = "wrong_ca", wrongHostName = "wrong_host_name", wrongPassword = "wrong_password"
            case missingDatabase = "missing_database"

            var testDescription: String { rawValue }

            func configuration(_ env: FaultEnvironment) throws -> PostgresConfiguration {
                switch self {
                case .wrongCA: try env.app(ca: env.wrongCAFile)
                // The certificate names 127.0.0.1 only; the TCP address stays 127.0.0.1.
                case .wrongHostName: try env.app(hostName: "localhost")
                case .wrongPassword: try env.app(password: "not-" + env.appPassword)
                case .missingDatabase: try env.app(database: "fault_no_such_database")
                }
            }
        }

        @Test(arguments: BadSetting.allCases)
        func aConnectionWithABadSettingFailsAtOnceWithATypedError(_ setting: BadSetting) async throws {
            let env = try FaultEnvironment.current()
            let timeline = Timeline()
            var failure: PostgresError?
            let call = await timeline.call(0) {
                do {
                    _ = try await PostgresConnection.connect(configuration: try setting.configuration(env))
                } catch let e as PostgresError {
                    failure = e
                    throw e
                }
            }
            FaultReport.emit("g-connect", [
                "setting": setting.rawValue, "outcome": call.error.map(FaultReport.label) ?? "connected",
                "returned_ms": FaultReport.ms(call.elapsed),
                "message": "\"\(failure?.message.split(separator: "\n").first ?? "")\"",
            ])
            #expect(call.code == .connection, "a typed connection error")
            #expect(call.elapsed < .seconds(2), "at once")
        }

        /// From issue 13 (fail fast on permanent connect errors): callers waiting on a pool whose
        /// connections cannot succeed get that connection error well before the acquire timeout, not
        /// `poolExhausted` after it.
        @Test(arguments: BadSetting.allCases)
        func poolCallersGetAPermanentConnectErrorWellBeforeTheAcquireTimeout(_ setting: BadSetting) async throws {
            let env = try FaultEnvironment.current()
            var configuration = PostgresPool.Configuration()
            configuration.acquireTimeout = .seconds(5)
            let pool = PostgresPool(configuration: configuration, connection: try setting.configuration(env))
            let runner = Task { try await pool.run() }
            let timeline = Timeline()
            let calls = await withTaskGroup(of: Call.self) { group in
                for caller in 0..<8 {
                    group.addTask { await timeline.call(caller) { try await pool.query("SELECT 1") } }
                }
                return await group.reduce(into: [Call]()) { $0.append($1) }
            }
            runner.cancel()
            try? await runner.value
            FaultReport.emit("g-failfast", [
                "setting": setting.rawValue, "callers": calls.count,
                "outcomes": FaultReport.tally(calls.errorTally), "max_return_ms": FaultReport.ms(calls.maxElapsed),
                "acquire_timeout_ms": FaultReport.ms(configuration.acquireTimeout),
            ])
            #expect(calls.allSatisfy { $0.code == .connection }, "every caller gets the connection error: \(calls.errorTally)")
            #expect(calls.maxElapsed < .seconds(2), "well before the 5 s acquire timeout")
        }
    }
}
