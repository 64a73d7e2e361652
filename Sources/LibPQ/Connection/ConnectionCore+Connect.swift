import CLibPQ
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `PGconn` handed from the thread that started it to the loop.
// @unchecked Sendable: ownership moves with it; the sender never touches the pointer again.
struct ConnHandoff: @unchecked Sendable {
    let pointer: OpaquePointer?
}

extension ConnectionCore {
    /// Connects without blocking Swift's cooperative pool: `PQconnectStartParams` (which may resolve host
    /// names) runs on a Dispatch thread; `PQconnectPoll` runs on the loop whenever the socket is ready.
    func connect() async throws {
        let timeout = configuration.connectTimeout
        let timer = Task { [self] in
            try await Task.sleep(for: timeout)
            loop.execute { [self] in
                if case .connecting = state {
                    shutdown(PostgresError(code: .timeout, message: "connecting took longer than \(timeout.readable)"))
                }
            }
        }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let parameters = configuration.libpqParameters()
                DispatchQueue.global().async { [self] in
                    let handoff = ConnHandoff(pointer: Self.startConnecting(parameters))
                    loop.execute { [self] in beginPolling(handoff.pointer, continuation: continuation) }
                }
            }
        } onCancel: { [self] in
            loop.execute { [self] in
                if case .connecting = state {
                    shutdown(PostgresError(code: .cancelled, message: "connecting was cancelled"))
                }
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

    private func beginPolling(_ conn: OpaquePointer?, continuation: CheckedContinuation<Void, any Error>) {
        guard let conn else {
            continuation.resume(throwing: PostgresError(code: .connection, message: "out of memory starting a connection"))
            return
        }
        if case .closed(let e) = state {  // timed out or cancelled before libpq returned
            PQfinish(conn)
            continuation.resume(throwing: e)
            return
        }
        self.conn = conn
        connectContinuation = continuation
        guard PQstatus(conn) != CONNECTION_BAD else {
            shutdown(PostgresError(code: .connection, message: lastErrorMessage()))
            return
        }
        // Per libpq's docs, behave as if the last poll asked for write-readiness.
        watchSocket(writable: true)
    }

    /// (Re)registers libpq's current socket; libpq may open a new one while trying hosts or SSL modes.
    private func watchSocket(writable: Bool) {
        guard let conn else { return }
        let fd = PQsocket(conn)
        // While connecting, libpq may close its socket and open another that gets the same number (the
        // kernel drops the closed one from epoll), so always register afresh then.
        let connecting: Bool
        if case .connecting = state { connecting = true } else { connecting = false }
        if fd != registeredFD || registration == nil || connecting {
            if let registration { loop.deregister(registration) }
            registeredFD = fd
            registration = fd >= 0 ? loop.register(fd: fd, readable: !writable, writable: writable, handler: self) : nil
        } else if let registration {
            loop.update(registration, readable: !writable, writable: writable)
        }
        wantsWrite = writable
    }

    func pollConnect() {
        guard let conn else { return }
        switch PQconnectPoll(conn) {
        case PGRES_POLLING_READING:
            watchSocket(writable: false)
        case PGRES_POLLING_WRITING:
            watchSocket(writable: true)
        case PGRES_POLLING_OK:
            connected()
        default:
            shutdown(PostgresError(code: .connection, message: lastErrorMessage()))
        }
    }

    private func connected() {
        guard let conn else { return }
        guard PQsetnonblocking(conn, 1) == 0, PQenterPipelineMode(conn) == 1 else {
            shutdown(PostgresError(code: .connection, message: "could not enter nonblocking pipeline mode: \(lastErrorMessage())"))
            return
        }
        cancelHandle = CancelHandle(conn)
        watchSocket(writable: false)
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
