import ArgumentParser
import Foundation
import LibPQ
import Sessions
import Synchronization

/// `sessionctl cleanup`: removes expired sessions (and idle anonymous ones) from `DATABASE_URL`'s database.
struct CleanupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Delete expired sessions (and idle anonymous ones) in batches, from DATABASE_URL's database.")

    @Option(help: "Rows deleted per statement.")
    var batchSize = 1000

    @Option(help: "Days after which an anonymous session without an order is removed; 0 keeps them until they expire.")
    var anonymousIdleDays = 7

    /// The largest `--anonymous-idle-days`: 100 years (beyond, the days in seconds would overflow, and the
    /// date they lead back to leave PostgreSQL's range).
    static let maximumAnonymousIdleDays = 36_525

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        guard (0...Self.maximumAnonymousIdleDays).contains(anonymousIdleDays) else {
            throw ValidationError("--anonymous-idle-days must be between 0 and \(Self.maximumAnonymousIdleDays)")
        }
    }

    func run() async throws {
        let connection = try await PostgresConnection.connect(configuration: try .fromEnvironment())
        var configuration = SessionStore.Configuration()
        configuration.anonymousIdleTimeout = anonymousIdleDays == 0 ? nil : .seconds(anonymousIdleDays * 86_400)
        let store = SessionStore(database: connection, cache: NoSessionCache(), configuration: configuration)
        let progress = ProgressLine()
        let removed = try await store.cleanExpiredSessions(batchSize: batchSize) { removed, batches in
            progress.update("removed \(removed) sessions (\(batches) batches)...")
        }
        progress.finish()
        print("removed \(removed) sessions")
        await connection.close()
    }
}

/// A progress line on standard error, redrawn at most every half second, shown only once a run has taken
/// more than a second.
final class ProgressLine: Sendable {
    private let start = ContinuousClock.now
    private let last = Mutex<ContinuousClock.Instant?>(nil)

    func update(_ text: String) {
        let now = ContinuousClock.now
        guard now - start > .seconds(1) else { return }
        let draw = last.withLock { last -> Bool in
            if let l = last, now - l < .milliseconds(500) { return false }
            last = now
            return true
        }
        if draw { FileHandle.standardError.write(Data(("\r" + text).utf8)) }
    }

    func finish() {
        if last.withLock({ $0 }) != nil { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
