import Foundation
public import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs the repository's scripts from tests (the replication tests stop and promote servers).
public enum Shell {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs `command` (looked up on PATH), its output appended to `log` (default: discarded); returns its
    /// exit status. `posix_spawn` and a blocking `waitpid` on a thread of its own, not Foundation's
    /// `Process`, whose termination handler was seen never to run for `runuser` on Linux.
    public static func run(_ command: [String], log: String = "/dev/null") async throws -> Int32 {
        let argv = ["/usr/bin/env"] + command
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                var actions = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&actions)
                defer { posix_spawn_file_actions_destroy(&actions) }
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
                posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
                posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
                let arguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
                defer { for argument in arguments { free(argument) } }
                var pid: pid_t = 0
                let spawned = posix_spawn(&pid, argv[0], &actions, nil, arguments, environ)
                guard spawned == 0 else {
                    continuation.resume(throwing: Failure(description: "posix_spawn \(argv[0]) failed: \(spawned)"))
                    return
                }
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1, errno == EINTR {}
                // WIFEXITED and WEXITSTATUS are macros Swift cannot call.
                continuation.resume(returning: status & 0x7f == 0 ? (status >> 8) & 0xff : -1)
            }
            thread.start()
        }
    }

    /// ``run(_:log:)``, throwing when the command fails.
    public static func check(_ command: [String], log: String = "/dev/null") async throws {
        let status = try await run(command, log: log)
        guard status == 0 else { throw Failure(description: "\(command.joined(separator: " ")) exited with \(status)") }
    }
}

/// Where the replication tests find their servers (set by scripts/test-replication).
public enum ReplicationTestEnvironment {
    static let environment = ProcessInfo.processInfo.environment
    public static let standbyURL = environment["STANDBY_URL"].flatMap { $0.isEmpty ? nil : $0 }
    public static let primaryURL = environment["PRIMARY_URL"].flatMap { $0.isEmpty ? nil : $0 }
    /// Both hosts, `target_session_attrs=read-write`.
    public static let multiHostURL = environment["MULTIHOST_URL"].flatMap { $0.isEmpty ? nil : $0 }
    /// The absolute path of scripts/pg-cluster.
    public static let clusterScript = environment["CLUSTER_SCRIPT"].flatMap { $0.isEmpty ? nil : $0 }
    /// scripts/test-replication sets REPLICATION_TESTS=1: then a missing server fails the tests.
    public static let required = environment["REPLICATION_TESTS"] == "1"
    public static let isConfigured = standbyURL != nil || required
    public static let skipMessage: Comment =
        "no standby configured: run scripts/test-replication (primary + streaming standby)"
}
