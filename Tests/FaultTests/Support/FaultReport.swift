import Foundation
import LibPQ

/// Prints a scenario's figures as one line, `FAULT (a) callers=32 max_return_over_timeout_ms=12.3 ...`,
/// to standard output and to the file `scripts/faults` collects them from (``FaultEnvironment/reportFile``).
enum FaultReport {
    static func emit(_ scenario: String, _ fields: KeyValuePairs<String, any CustomStringConvertible>) {
        var line = "FAULT (\(scenario))"
        for (key, value) in fields { line += " \(key)=\(value)" }
        // Unbuffered, so the line shows up in order with swift test's own output.
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
        guard let path = ProcessInfo.processInfo.environment["FAULT_REPORT"], !path.isEmpty,
            let handle = FileHandle(forWritingAtPath: path)
        else { return }
        handle.seekToEndOfFile()
        handle.write(Data((line + "\n").utf8))
        try? handle.close()
    }

    /// Milliseconds with one decimal.
    static func ms(_ d: Duration) -> String {
        let (s, atto) = d.components
        let value = Double(s) * 1000 + Double(atto) / 1e15
        return String(format: "%.1f", value)
    }

    /// A compact tally, `connectionClosed:3,server/57014:1`, or `none`.
    static func tally(_ counts: [String: Int]) -> String {
        counts.isEmpty ? "none" : counts.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
    }

    /// The name an error is counted under: the library's code, with the SQLSTATE for server errors.
    static func label(_ error: any Error) -> String {
        guard let e = error as? PostgresError else { return String(describing: type(of: error)) }
        if let state = e.sqlState { return "\(e.code)/\(state)" }
        return "\(e.code)"
    }
}
