import CLibPQ
import Foundation

/// Starts one of the library's own threads (an event loop, a blocking-call worker), named `name` where the
/// system shows threads: `/proc/<pid>/task/<tid>/comm`, `top -H`, `perf`, debuggers. The kernel keeps the
/// first 15 bytes.
///
/// Foundation's `Thread.name` does not reach the system thread on Linux: the new thread kept the name of
/// the thread that started it, usually a Dispatch worker's ("oot.default-qos"), so in a profile the event
/// loop could not be told from Swift's executor threads. The thread names itself first thing instead.
func startThread(named name: String, stackSize: Int, _ body: @escaping @Sendable () -> Void) {
    let systemName = String(decoding: name.utf8.prefix(15), as: UTF8.self)  // prctl would cut it anyway
    let thread = Thread {
        #if os(Linux)
        _ = clibpq_name_current_thread(systemName)
        #endif
        body()
    }
    thread.name = name
    thread.stackSize = stackSize
    thread.start()
}
