import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Does things to the fault cluster's processes: freezes them with SIGSTOP, runs `pg_ctl`.
///
/// Nothing here blocks a Swift concurrency thread: the freeze runs on a thread of its own (it must go
/// on while the executor may be stalled, which is what scenario (a) looks for), and `pg_ctl` is awaited
/// through its termination handler.
struct ServerControl: Sendable {
    let environment: FaultEnvironment

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The postmaster's pid, from the first line of `postmaster.pid`.
    func postmasterPID() throws -> pid_t {
        let text = try String(contentsOfFile: environment.dataDirectory + "/postmaster.pid", encoding: .utf8)
        guard let first = text.split(separator: "\n").first, let pid = pid_t(first.trimmingCharacters(in: .whitespaces))
        else { throw Failure(description: "postmaster.pid has no pid") }
        return pid
    }

    /// The postmaster and its children (backends, checkpointer, walwriter, ...), from `/proc`.
    func serverProcesses() throws -> [pid_t] {
        let postmaster = try postmasterPID()
        return [postmaster] + Self.children(of: postmaster)
    }

    /// The pids whose parent is `parent` (field 4 of `/proc/<pid>/stat`).
    static func children(of parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // "pid (comm) state ppid ...": comm may hold spaces, so parse after its closing parenthesis.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, pid_t(fields[1]) == parent else { return nil }
            return pid
        }
    }

    /// Whether a process exists.
    static func exists(_ pid: pid_t) -> Bool { kill(pid, 0) == 0 || errno != ESRCH }

    /// Stops the postmaster and all its children with SIGSTOP, waits `duration` on a thread of its own,
    /// and continues them with SIGCONT. Returns how many processes were frozen and for how long.
    func freeze(for duration: Duration) async throws -> (processes: Int, frozen: Duration) {
        let processes = try serverProcesses()
        return await withCheckedContinuation { continuation in
            let thread = Thread {
                let clock = ContinuousClock()
                let start = clock.now
                // The postmaster first, so it forks nothing new while its children are being stopped.
                for pid in processes { kill(pid, SIGSTOP) }
                var remaining = duration
                while remaining > .zero {
                    let (s, atto) = remaining.components
                    var request = timespec(tv_sec: Int(s), tv_nsec: Int(atto / 1_000_000_000))
                    nanosleep(&request, nil)
                    remaining = duration - (clock.now - start)
                }
                for pid in processes.reversed() { kill(pid, SIGCONT) }
                continuation.resume(returning: (processes.count, clock.now - start))
            }
            thread.start()
        }
    }

    /// Runs `pg_ctl <arguments> --pgdata=<data>` as the cluster's owner; throws when it fails.
    func pgCtl(_ arguments: [String]) async throws {
        let pgCtl = environment.binDirectory + "/pg_ctl"
        var command = [pgCtl] + arguments + ["--pgdata=\(environment.dataDirectory)", "--log=\(environment.serverLog)"]
        if !environment.owner.isEmpty { command = ["runuser", "-u", environment.owner, "--"] + command }
        let status = try await Self.run(command)
        guard status == 0 else { throw Failure(description: "\(command.joined(separator: " ")) exited with \(status)") }
    }

    /// Runs a command (looked up on PATH) from `/`, output discarded; returns its exit status
    /// (``Shell/run(_:log:)``: `posix_spawn`, not Foundation's `Process`, whose termination handler never
    /// ran for `runuser` here).
    static func run(_ command: [String]) async throws -> Int32 {
        try await Shell.run(["-C", "/"] + command)
    }
}
