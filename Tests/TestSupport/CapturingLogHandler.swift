public import Logging
import Synchronization

/// A log handler that keeps every message with its metadata, for tests that scan logs (no token or
/// password in them, an outage logged).
public struct CapturingLogHandler: LogHandler {
    /// The lines kept, shared by every handler made with it.
    public final class Storage: Sendable {
        let lines = Mutex<[String]>([])
        /// Creates an empty store.
        public init() {}
        /// Every line, joined with newlines.
        public var all: String { lines.withLock { $0.joined(separator: "\n") } }
        /// The number of lines.
        public var count: Int { lines.withLock { $0.count } }
    }

    public let storage: Storage
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(storage: Storage) { self.storage = storage }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = self.metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let line = "\(event.level) \(event.message) \(all) \(event.error.map { "\($0)" } ?? "")"
        storage.lines.withLock { $0.append(line) }
    }
}

/// The lines a ``CapturingLogHandler`` kept.
public typealias CapturedLogs = CapturingLogHandler.Storage

/// Polls `condition` until it holds or `deadline` passes; returns the time it took, or nil on timeout.
public func waitUntil(
    within deadline: Duration, every interval: Duration = .milliseconds(2), _ condition: () async throws -> Bool
) async rethrows -> Duration? {
    let clock = ContinuousClock()
    let start = clock.now
    while clock.now - start < deadline {
        if try await condition() { return clock.now - start }
        try? await Task.sleep(for: interval)
    }
    return try await condition() ? clock.now - start : nil
}
