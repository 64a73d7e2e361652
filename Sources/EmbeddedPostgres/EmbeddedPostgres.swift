public import Foundation
public import LibPQ
import Synchronization

/// A throwaway PostgreSQL cluster for `sessionctl demo` when no `DATABASE_URL` is set: `initdb` into a
/// temporary directory, a server listening only on a unix socket in that directory (so it never clashes
/// with another server's port), removed again by ``stop()``. Uses the system's PostgreSQL binaries (the
/// newest `/usr/lib/postgresql/*/bin`, or `initdb` on `PATH`); runs them as the `postgres` user when
/// started as root, since PostgreSQL refuses to run as root.
///
/// Shared by `sessionctl demo` and the example storefront server (`swift run storefront`).
public final class EmbeddedPostgres: Sendable {
    /// Why the cluster could not be prepared, started or used.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong, in words (tool output included; no password is involved: the cluster trusts
        /// its unix socket).
        public var description: String

        /// Creates a failure.
        public init(description: String) { self.description = description }
    }

    /// The cluster's temporary directory (data, socket, logs); removed by ``stop()``.
    public let directory: URL
    let binaries: URL
    /// The port number in the socket's name (`.s.PGSQL.5432`); nothing listens on TCP.
    public let port = 5432
    private enum Phase { case created, serverStarting, stopped }
    /// Held for the whole of ``stop()``, so a signal handler and the main flow never stop it at once.
    private let phase = Mutex(Phase.created)
    /// The tool running now (initdb, pg_ctl), killed by ``stop()`` when a signal comes in the middle.
    private let child = Mutex<pid_t?>(nil)

    /// The configuration that reaches the server.
    public var configuration: PostgresConfiguration {
        get throws {
            try PostgresConfiguration("host=\(directory.path) port=\(port) user=postgres dbname=postgres")
        }
    }

    private init(directory: URL, binaries: URL) {
        self.directory = directory
        self.binaries = binaries
    }

    /// Creates the directory of a cluster; ``boot()`` then creates and starts it.
    ///
    /// - Parameter prefix: the start of the temporary directory's name (the program's name, so that a
    ///   directory left by a killed process tells whose it was).
    public static func prepare(prefix: String = "sessionctl-demo") throws -> EmbeddedPostgres {
        guard let binaries = findBinaries() else {
            throw Failure(description: """
                no PostgreSQL server binaries found (initdb, pg_ctl). Install them \
                (apt-get install postgresql) or set DATABASE_URL to a server of your own.
                """)
        }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return EmbeddedPostgres(directory: directory, binaries: binaries)
    }

    private var dataDirectory: String { directory.appendingPathComponent("data").path }

    /// Runs `initdb` and starts the server; on failure, cleans up and throws.
    public func boot() throws {
        do {
            try initializeAndStart()
        } catch {
            stop()
            throw error
        }
    }

    private func initializeAndStart() throws {
        if isRoot { try run("/bin/chown", ["postgres:", directory.path], asOwner: false) }
        try run(binaries.appendingPathComponent("initdb").path, [
            "--pgdata=\(dataDirectory)", "--username=postgres", "--auth=trust", "--no-sync", "--encoding=UTF8",
            "--no-instructions",
        ])
        let proceed = phase.withLock { p -> Bool in
            guard p == .created else { return false }
            p = .serverStarting  // from here on, stop() runs pg_ctl stop
            return true
        }
        guard proceed else { throw Failure(description: "stopped") }
        let options = "-p \(port) -k \(directory.path) -c listen_addresses= -c fsync=off -c full_page_writes=off"
        try run(binaries.appendingPathComponent("pg_ctl").path, [
            "start", "--pgdata=\(dataDirectory)", "--wait", "--timeout=60",
            "--log=\(directory.appendingPathComponent("postgres.log").path)", "-o", options,
        ])
    }

    /// Stops the server when the process gets SIGINT or SIGTERM (Ctrl-C during the demo), then exits.
    public func stopOnSignals() -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { signo in
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler { [self] in
                stop()
                exit(128 + signo)
            }
            source.resume()
            return source
        }
    }

    /// Stops the server and removes its directory. Safe to call twice and from two threads at once (the
    /// second call waits for the first).
    public func stop() {
        phase.withLock { p in
            guard p != .stopped else { return }
            if let pid = child.withLock({ $0 }) { kill(pid, SIGTERM) }
            if p == .serverStarting {
                try? run(binaries.appendingPathComponent("pg_ctl").path, [
                    "stop", "--pgdata=\(dataDirectory)", "--mode=fast", "--wait",
                ])
            }
            p = .stopped
            // A tool killed a moment ago may still be writing: retry briefly.
            for _ in 0..<20 {
                try? FileManager.default.removeItem(at: directory)
                if !FileManager.default.fileExists(atPath: directory.path) { break }
                usleep(100_000)
            }
        }
    }

    private var isRoot: Bool { getuid() == 0 }

    private func run(_ tool: String, _ arguments: [String], asOwner: Bool = true) throws {
        let argv = asOwner && isRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--", tool] + arguments : [tool] + arguments
        // Output goes to a file, not a pipe: the server that `pg_ctl start` leaves running would inherit a
        // pipe and keep it open.
        let name = (tool as NSString).lastPathComponent
        let outputPath = directory.appendingPathComponent("\(name).out").path
        let status = try spawnAndWait(argv, output: outputPath)
        guard status == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw Failure(description: "\(name) failed (status \(status)):\n\(text)")
        }
    }

    /// posix_spawn + waitpid. (Foundation's `Process.waitUntilExit` did not return for `runuser pg_ctl
    /// start` on Linux: the child stayed a zombie.) Blocks the calling thread while the tool runs; the demo
    /// does this once at start-up and once at exit.
    private func spawnAndWait(_ argv: [String], output: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ)
        guard rc == 0 else { throw Failure(description: "could not run \(argv[0]): \(String(cString: strerror(rc)))") }
        child.withLock { $0 = pid }
        defer { child.withLock { $0 = nil } }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw Failure(description: "waitpid failed: \(String(cString: strerror(errno)))") }
        }
        // WIFEXITED / WEXITSTATUS, which Swift cannot import (macros).
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    private static func findBinaries() -> URL? {
        let fm = FileManager.default
        if let versions = try? fm.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
            let sorted = versions.compactMap { v in Int(v).map { ($0, v) } }.sorted { $0.0 > $1.0 }
            for (_, v) in sorted {
                let bin = URL(fileURLWithPath: "/usr/lib/postgresql/\(v)/bin")
                if fm.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path) { return bin }
            }
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let bin = URL(fileURLWithPath: String(dir))
            if fm.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path) { return bin }
        }
        return nil
    }
}
