import Foundation

/// A throwaway PostgreSQL cluster for `sessionctl demo` when no database is configured: initdb into a
/// temporary directory, start on a free port listening only on a Unix socket in that directory, and
/// remove everything on `stop()`. Runs the server as the `postgres` OS user when started as root
/// (PostgreSQL refuses to run as root).
final class EmbeddedPostgres {
    let directory: URL
    let port: Int
    private let binDirectory: String
    private var running = false

    /// The libpq connection string of the running cluster.
    var connectionString: String { "host=\(directory.path) port=\(port) user=postgres dbname=postgres" }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func start() throws -> EmbeddedPostgres {
        guard let bin = findBinaries() else {
            throw Failure(description: """
                no PostgreSQL server binaries found (initdb, pg_ctl). Install them, e.g. \
                `apt-get install -y postgresql`, set PG_BIN to their directory, or set DATABASE_URL.
                """)
        }
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sessionctl-\(UUID().uuidString.prefix(8))")
        let pg = EmbeddedPostgres(directory: dir, port: try freePort(), binDirectory: bin)
        try pg.boot()
        return pg
    }

    private init(directory: URL, port: Int, binDirectory: String) {
        self.directory = directory
        self.port = port
        self.binDirectory = binDirectory
    }

    private var isRoot: Bool { getuid() == 0 }

    private func boot() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if isRoot { try run("/bin/chown", ["postgres", directory.path], asOwner: false) }
        let data = directory.appendingPathComponent("data").path
        try run("\(binDirectory)/initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        let options = "-p \(port) -k \(directory.path) -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
        // pg_ctl -w waits until the server accepts connections (or fails after -t seconds).
        try run("\(binDirectory)/pg_ctl", ["-D", data, "-o", options, "-l", directory.appendingPathComponent("log").path, "-w", "-t", "60", "start"])
        running = true
    }

    /// Stops the server and deletes its directory.
    func stop() {
        if running {
            let data = directory.appendingPathComponent("data").path
            try? run("\(binDirectory)/pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"])
            running = false
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }

    private func run(_ tool: String, _ arguments: [String], asOwner: Bool = true) throws {
        let command = asOwner && isRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--", tool] + arguments : [tool] + arguments
        // Run from / : the postgres user may not be able to enter the current directory.
        let argv = ["/bin/sh", "-c", "cd / && exec \"$@\"", "sh"] + command
        // Output goes to a file; the process is spawned and reaped directly. (Foundation's Process waits
        // until every descendant closes an inherited descriptor, and the server pg_ctl starts lives on.)
        let outputPath = directory.path + ".out"
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ)
        guard spawned == 0 else { throw Failure(description: "could not start \(argv[0]): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            let log = (try? String(contentsOf: directory.appendingPathComponent("log"), encoding: .utf8)) ?? ""
            throw Failure(description: "\((tool as NSString).lastPathComponent) failed (status \(status)): \(text)\(log.suffix(2000))")
        }
    }

    private static func findBinaries() -> String? {
        let fm = FileManager.default
        if let bin = ProcessInfo.processInfo.environment["PG_BIN"], fm.isExecutableFile(atPath: bin + "/initdb") { return bin }
        let root = "/usr/lib/postgresql"
        let versions = ((try? fm.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        for v in versions where fm.isExecutableFile(atPath: "\(root)/\(v)/bin/initdb") { return "\(root)/\(v)/bin" }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            if fm.isExecutableFile(atPath: "\(dir)/initdb") { return String(dir) }
        }
        return nil
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw Failure(description: "could not find a free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
