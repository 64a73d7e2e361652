import Foundation
import Testing

/// `sessionctl` flags out of range end with a usage error (ArgumentParser's `validate()`, exit status 64),
/// not a trap. Runs the `sessionctl` that `swift build --build-tests` (and so `scripts/test`) builds beside
/// the test runner; nothing here needs a database.
struct SessionctlFlagValidationTests {
    struct Outcome {
        var status: Int32
        var reason: Process.TerminationReason
        var standardError: String
    }

    /// The `sessionctl` executable next to the test runner.
    static var executable: URL {
        let runner = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: runner).deletingLastPathComponent()
        // On Darwin the runner sits inside an .xctest bundle.
        while directory.path.contains(".xctest") { directory.deleteLastPathComponent() }
        return directory.appendingPathComponent("sessionctl")
    }

    /// Runs `sessionctl arguments`, with `DATABASE_URL` pointing where no server listens (a flag that passes
    /// validation then fails fast on connecting, instead of starting an embedded server).
    static func run(_ arguments: [String]) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = "postgres://app:Hunter2-flag@127.0.0.1:1/none?connect_timeout=2"
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, reason: process.terminationReason, standardError: String(decoding: data, as: UTF8.self))
    }

    @Test(arguments: [
        (["cleanup", "--batch-size", "0"], "--batch-size must be positive"),
        (["cleanup", "--batch-size=-5"], "--batch-size must be positive"),
        (["cleanup", "--anonymous-idle-days=-1"], "--anonymous-idle-days must be between 0 and 36525"),
        // Days whose seconds overflow Int: used to trap in `.seconds(days * 86_400)`.
        (["cleanup", "--anonymous-idle-days", "106751991167301"], "--anonymous-idle-days must be between 0 and 36525"),
        (["bench", "--seconds", "0"], "--seconds must be"),
        (["bench", "--seconds", "inf"], "--seconds must be"),
        (["bench", "--seconds", "nan"], "--seconds must be"),
        // Used to trap in `Int(seconds * 1000)`.
        (["bench", "--seconds", "1e300"], "--seconds must be"),
        (["bench", "--concurrency", "0"], "--concurrency must be between 1 and 10000"),
        (["bench", "--concurrency", "9223372036854775807"], "--concurrency must be between 1 and 10000"),
        (["bench", "--sessions=-1"], "--sessions must be between 1 and 10000000"),
        (["bench", "--connections", "0"], "--connections must be between 1 and 1000"),
        (["bench", "--loops", "0"], "--loops must be between 1 and 64"),
        (["bench", "--packing-depth", "0"], "--packing-depth must be between 1 and 1000"),
    ])
    func anOutOfRangeFlagIsAUsageError(_ arguments: [String], _ message: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path), "build sessionctl first (swift build)")
        let outcome = try Self.run(arguments)
        #expect(outcome.reason == .exit, "killed by signal \(outcome.status)")
        #expect(outcome.status == 64, "\(outcome.standardError)")
        #expect(outcome.standardError.contains("Error: \(message)"), "\(outcome.standardError)")
        #expect(outcome.standardError.contains("Usage: sessionctl \(arguments[0])"))
    }

    @Test func aValidFlagPassesValidationAndTheConnectionErrorShowsNoPassword() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path), "build sessionctl first (swift build)")
        let outcome = try Self.run(["cleanup", "--batch-size", "10", "--anonymous-idle-days", "36525"])
        #expect(outcome.reason == .exit)
        #expect(outcome.status == 1, "\(outcome.standardError)")
        #expect(!outcome.standardError.contains("Usage:"))
        #expect(outcome.standardError.contains("PostgresError(connection)"), "\(outcome.standardError)")
        #expect(!outcome.standardError.contains("Hunter2-flag"))
    }
}
