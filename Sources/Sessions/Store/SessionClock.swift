public import Foundation
import Synchronization

/// Where the session store and its cache read the current time. Inject ``ManualSessionClock`` in tests to
/// move time forward without sleeping.
public protocol SessionClock: Sendable {
    /// The current instant.
    var now: Date { get }
}

/// The system's wall clock.
public struct SystemSessionClock: SessionClock {
    /// Creates the system clock.
    public init() {}
    /// `Date()`.
    public var now: Date { Date() }
}

/// A clock that moves only when told to; for tests and the demo.
public final class ManualSessionClock: SessionClock {
    private let current: Mutex<Date>

    /// Creates a clock stopped at `start` (by default the current time rounded down to a whole second, so
    /// timestamps survive PostgreSQL's microsecond precision unchanged).
    public init(start: Date = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))) {
        current = Mutex(start)
    }

    /// The instant the clock stands at.
    public var now: Date { current.withLock { $0 } }

    /// Moves the clock forward (or back, with a negative interval).
    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 += seconds }
    }

    /// Moves the clock forward by a `Duration`.
    public func advance(by duration: Duration) {
        advance(by: duration.timeInterval)
    }

    /// Sets the clock.
    public func set(_ date: Date) {
        current.withLock { $0 = date }
    }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}

extension Date {
    /// The date rounded to whole microseconds, as PostgreSQL stores it, so a value written and read back
    /// compares equal to the one kept in memory.
    var roundedToMicroseconds: Date {
        Date(timeIntervalSinceReferenceDate: (timeIntervalSinceReferenceDate * 1e6).rounded(.toNearestOrEven) / 1e6)
    }
}
