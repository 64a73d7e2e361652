public import LibPQ

/// Runs `count` bodies concurrently as tasks on the default event loop, all started by one task that runs
/// there: they run in the same loop turn, so the statements they submit reach their connection together
/// (what read-only and write groups are made of). Returns each body's result by its index.
public func inOneLoopTurn<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) async -> T) async -> [Int: T] {
    let executor = PostgresEventLoop.default.taskExecutor
    return await withTaskExecutorPreference(executor) {
        await withTaskGroup(of: (Int, T).self) { group in
            for i in 0..<count {
                group.addTask { (i, await body(i)) }
            }
            var results: [Int: T] = [:]
            for await (i, value) in group { results[i] = value }
            return results
        }
    }
}
