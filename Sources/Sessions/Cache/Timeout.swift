import Synchronization

/// A cache call that did not finish within the store's cache timeout.
public struct SessionCacheTimeoutError: Error, Sendable, CustomStringConvertible {
    /// The timeout that passed.
    public var timeout: Duration
    public var description: String { "the session cache did not answer within \(timeout)" }
}

/// Runs `body` and returns its result, or throws ``SessionCacheTimeoutError`` after `timeout` without
/// waiting for `body` any longer (it is cancelled and left to finish on its own; a task group would have
/// to wait for it, and a cache that ignores cancellation would then hold the request).
func withTimeout<T: Sendable>(
    _ timeout: Duration, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = Race<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            guard race.start(continuation) else { return }
            let work = Task {
                do { race.finish(.success(try await body())) } catch { race.finish(.failure(error)) }
            }
            let timer = Task {
                try? await Task.sleep(for: timeout)
                race.finish(.failure(SessionCacheTimeoutError(timeout: timeout)))
            }
            race.attach([work, timer])
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The state of one ``withTimeout(_:_:)`` call: the first of work, timer and cancellation to finish
/// resumes the caller; the others are cancelled.
private final class Race<T: Sendable>: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<T, any Error>, tasks: [Task<Void, Never>])
        case finished(tasks: [Task<Void, Never>])
        case finishedEarly(Result<T, any Error>)
    }
    private let state = Mutex<State>(.idle)

    /// Installs the continuation; false when the race already finished (cancelled before it began), in
    /// which case the continuation was resumed.
    func start(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
        let early: Result<T, any Error>? = state.withLock { s in
            if case .finishedEarly(let result) = s {
                s = .finished(tasks: [])
                return result
            }
            s = .waiting(continuation, tasks: [])
            return nil
        }
        if let early {
            continuation.resume(with: early)
            return false
        }
        return true
    }

    func attach(_ tasks: [Task<Void, Never>]) {
        let cancel: Bool = state.withLock { s in
            switch s {
            case .waiting(let c, _):
                s = .waiting(c, tasks: tasks)
                return false
            default:
                return true
            }
        }
        if cancel { for t in tasks { t.cancel() } }
    }

    func finish(_ result: Result<T, any Error>) {
        let action: (CheckedContinuation<T, any Error>, [Task<Void, Never>])? = state.withLock { s in
            switch s {
            case .idle:
                s = .finishedEarly(result)
                return nil
            case .waiting(let c, let tasks):
                s = .finished(tasks: [])
                return (c, tasks)
            case .finished, .finishedEarly:
                return nil
            }
        }
        if let (continuation, tasks) = action {
            for t in tasks { t.cancel() }
            continuation.resume(with: result)
        }
    }
}
