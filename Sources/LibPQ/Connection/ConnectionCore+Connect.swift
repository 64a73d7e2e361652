import CLibPQ
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `PGconn` handed from the thread that opened it to the loop.
// @unchecked Sendable: ownership moves with it; the sender never touches the pointer again.
struct ConnHandoff: @unchecked Sendable {
    let pointer: OpaquePointer
}

extension ConnectionCore {
    /// Connects without blocking any thread but one of the library's own connect threads
    /// (``BlockingThreads/connects``): `PQconnectStartParams` resolves host names and `PQconnectPoll` may
    /// resolve the next host's, so the whole attempt (name lookups, TCP, TLS, authentication) runs there,
    /// waiting on the socket with `poll()`. The loop adopts the connection once it is ready.
    ///
    /// The timeout and task cancellation answer the caller at once, from the loop; the attempt on the
    /// connect thread is woken and stops.
    func connect() async throws {
        let timeout = configuration.connectTimeout
        let deadline = monotonicNanoseconds() &+ timeout.clampedNanoseconds
        let attempt = ConnectAttempt()
        let parameters = configuration.libpqParameters()
        let secrets = configuration.secrets
        let notices = noticeSink
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                loop.execute { [self] in
                    guard case .connecting = state else {
                        if case .closed(let e) = state {
                            continuation.resume(throwing: e)
                        } else {
                            continuation.resume(throwing: PostgresError(code: .protocolViolation, message: "connect called twice"))
                        }
                        return
                    }
                    connectContinuation = continuation
                    connectTimer = loop.schedule(at: deadline) { [self] in
                        connectTimer = nil
                        if case .connecting = state {
                            attempt.abandon()
                            shutdown(PostgresError(code: .timeout, message: "connecting took longer than \(timeout.readable)"))
                        }
                    }
                    BlockingThreads.connects.submit(
                        .init(
                            deadline: deadline,
                            run: { [self] in
                                let outcome = Self.establish(
                                    parameters, deadline: deadline, attempt: attempt, secrets: secrets, notices: notices)
                                loop.execute { [self] in adopt(outcome) }
                            },
                            expired: { [self] in
                                loop.execute { [self] in
                                    if case .connecting = state {
                                        shutdown(PostgresError(code: .timeout, message: "connecting took longer than \(timeout.readable) (every connect thread was busy)"))
                                    }
                                }
                            }))
                }
            }
        } onCancel: { [self] in
            attempt.abandon()
            loop.execute { [self] in
                if case .connecting = state {
                    shutdown(PostgresError(code: .cancelled, message: "connecting was cancelled"))
                }
            }
        }
    }

    /// What a connect thread hands the loop.
    enum ConnectOutcome: Sendable {
        case connected(ConnHandoff)
        case failed(PostgresError)
        /// Stopped because the loop no longer waits for it (timed out or cancelled there).
        case abandoned
    }

    /// Opens a connection on the calling (connect) thread, polling its socket until it is ready, fails,
    /// `deadline` passes or `attempt` is abandoned.
    static func establish(
        _ parameters: [(String, String)], deadline: UInt64, attempt: ConnectAttempt, secrets: [String],
        notices: NoticeSink
    ) -> ConnectOutcome {
        guard let conn = startConnecting(parameters) else {
            return .failed(PostgresError(code: .connection, message: "out of memory starting a connection"))
        }
        // Server messages sent while connecting carry their SQLSTATE (so a permanent failure, such as a wrong
        // password or a missing database, is told from a transient one in any server language), and notices
        // go to the logger, not to stderr.
        PQsetErrorVerbosity(conn, PQERRORS_VERBOSE)
        notices.install(on: conn)
        var polling = PGRES_POLLING_WRITING
        if PQstatus(conn) == CONNECTION_BAD { polling = PGRES_POLLING_FAILED }
        while true {
            switch polling {
            case PGRES_POLLING_OK:
                PQsetErrorVerbosity(conn, PQERRORS_DEFAULT)
                return .connected(ConnHandoff(pointer: conn))
            case PGRES_POLLING_READING, PGRES_POLLING_WRITING:
                switch attempt.wait(for: PQsocket(conn), writable: polling == PGRES_POLLING_WRITING, deadline: deadline) {
                case .ready:
                    polling = PQconnectPoll(conn)
                case .timedOut:
                    PQfinish(conn)
                    return .failed(PostgresError(code: .timeout, message: "connecting took too long"))
                case .abandoned:
                    PQfinish(conn)
                    return .abandoned
                }
            default:
                let error = connectError(conn, secrets: secrets)
                PQfinish(conn)
                return .failed(error)
            }
        }
    }

    private static func startConnecting(_ parameters: [(String, String)]) -> OpaquePointer? {
        var keywords: [UnsafeMutablePointer<CChar>?] = parameters.map { strdup($0.0) }
        var values: [UnsafeMutablePointer<CChar>?] = parameters.map { strdup($0.1) }
        keywords.append(nil)
        values.append(nil)
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        return keywords.withUnsafeBufferPointer { k in
            values.withUnsafeBufferPointer { v in
                k.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: k.count) { kp in
                    v.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: v.count) { vp in
                        PQconnectStartParams(kp, vp, 0)
                    }
                }
            }
        }
    }

    /// The error of a failed attempt: libpq's message (passwords redacted, the `LOCATION:` lines of verbose
    /// mode removed) and, when the server refused the connection, its SQLSTATE (``ConnectFailure``).
    static func connectError(_ conn: OpaquePointer, secrets: [String]) -> PostgresError {
        connectError(libpqMessage: PQerrorMessage(conn).map { String(cString: $0) } ?? "unknown libpq error", secrets: secrets)
    }

    /// ``connectError(_:secrets:)`` for libpq's message `raw`.
    static func connectError(libpqMessage raw: String, secrets: [String]) -> PostgresError {
        let parsed = ConnectFailure(libpqMessage: raw)
        let message = Redaction.redact(parsed.message, secrets: secrets)
        var serverInfo: PostgresError.ServerInfo?
        if let sqlState = parsed.sqlState {
            serverInfo = PostgresError.ServerInfo(sqlState: sqlState, severity: "FATAL", message: message)
        }
        return PostgresError(code: .connection, message: message, serverInfo: serverInfo)
    }

    /// Takes over a connection a connect thread opened (or frees it when no one waits any more). Loop only.
    private func adopt(_ outcome: ConnectOutcome) {
        if let connectTimer {
            loop.cancel(connectTimer)
            self.connectTimer = nil
        }
        switch outcome {
        case .connected(let handoff):
            guard case .connecting = state else {  // timed out or cancelled meanwhile
                PQfinish(handoff.pointer)
                return
            }
            conn = handoff.pointer
            connected()
        case .failed(let error):
            if case .connecting = state { shutdown(error) }
        case .abandoned:
            break
        }
    }

    private func connected() {
        guard let conn else { return }
        guard PQsetnonblocking(conn, 1) == 0, PQenterPipelineMode(conn) == 1 else {
            shutdown(PostgresError(code: .connection, message: "could not enter nonblocking pipeline mode: \(lastErrorMessage())"))
            return
        }
        cancelHandle = CancelHandle(conn)
        let fd = PQsocket(conn)
        registeredFD = fd
        registration = fd >= 0 ? loop.register(fd: fd, readable: true, writable: false, handler: self) : nil
        wantsWrite = false
        state = .ready
        isOpen.store(true, ordering: .releasing)
        logger.debug(
            "connected",
            metadata: ["psql.backend.pid": "\(PQbackendPID(conn))", "psql.server.version": "\(PQserverVersion(conn))"])
        let c = connectContinuation
        connectContinuation = nil
        c?.resume()
    }
}

/// One connection attempt's link between the loop and its connect thread: the loop abandons it (timeout,
/// cancellation), which wakes the thread from `poll()` at once through an eventfd.
final class ConnectAttempt: Sendable {
    private let abandoned = Atomic<Bool>(false)
    /// An eventfd (Linux) or the read end of a pipe (elsewhere), written once on abandon.
    private let wakeRead: Int32
    private let wakeWrite: Int32

    init() {
        #if canImport(Glibc)
        let fd = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        wakeRead = fd
        wakeWrite = fd
        #else
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)
        wakeRead = fds[0]
        wakeWrite = fds[1]
        #endif
    }

    deinit {
        if wakeRead >= 0 { close(wakeRead) }
        if wakeWrite != wakeRead, wakeWrite >= 0 { close(wakeWrite) }
    }

    func abandon() {
        guard !abandoned.exchange(true, ordering: .acquiringAndReleasing) else { return }
        guard wakeWrite >= 0 else { return }
        #if canImport(Glibc)
        var one: UInt64 = 1
        _ = write(wakeWrite, &one, 8)
        #else
        var one: UInt8 = 1
        _ = write(wakeWrite, &one, 1)
        #endif
    }

    var isAbandoned: Bool { abandoned.load(ordering: .acquiring) }

    enum Wait { case ready, timedOut, abandoned }

    /// Waits until `fd` is readable (or writable), the attempt is abandoned, or `deadline` passes.
    func wait(for fd: Int32, writable: Bool, deadline: UInt64) -> Wait {
        while true {
            if isAbandoned { return .abandoned }
            let now = monotonicNanoseconds()
            guard now < deadline else { return .timedOut }
            let milliseconds = Int32(min((deadline - now + 999_999) / 1_000_000, 60_000))
            var fds = [
                pollfd(fd: fd, events: Int16(writable ? POLLOUT : POLLIN), revents: 0),
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            let n = poll(&fds, nfds_t(wakeRead >= 0 ? 2 : 1), milliseconds)
            if n < 0 {
                if errno == EINTR { continue }
                return .ready  // let libpq see the socket's error
            }
            if isAbandoned { return .abandoned }
            if fds[0].revents != 0 { return .ready }
        }
    }
}
