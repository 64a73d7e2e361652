#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU time and peak resident set of this process (`getrusage`), shared by the benchmark executables.
public enum ProcessUsage {
    public static func now() -> (cpuSeconds: Double, maxRSSKilobytes: Int) {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        let cpu = Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec)
            + Double(u.ru_stime.tv_usec) / 1e6
        return (cpu, Int(u.ru_maxrss))
    }

    /// User + system CPU seconds so far.
    public static var cpuSeconds: Double { now().cpuSeconds }
}
