// swift-tools-version: 6.2
// Benchmarks of PostgresSessions against its peers. A package of its own, so the peers (postgres-nio) and
// benchmark tooling never slow the main build. Run through scripts/bench.
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, which differs between clones.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "PostgresSessionsBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // No traits: the Hummingbird integration (off by default) is not even fetched.
        .package(path: "../", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .target(name: "BenchSupport"),
        .executableTarget(
            name: "ReactorBench",
            dependencies: [
                .product(name: "LibPQ", package: root),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "BenchSupport",
            ]
        ),
        .executableTarget(
            name: "PeerBench",
            dependencies: [
                .product(name: "LibPQ", package: root),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "BenchSupport",
            ],
            // The harness's own async functions run on their caller's executor (Swift 6.2's recommended
            // setting for new code) instead of hopping to the generic executor at each call. A hop costs
            // an executor check (for a task that prefers a loop, one under the task's status lock) that
            // pgbench's C loop does not pay; the setting applies to every client in the harness alike.
            swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
        ),
        .executableTarget(
            name: "StoreBench",
            dependencies: [
                .product(name: "LibPQ", package: root),
                .product(name: "Sessions", package: root),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "BenchSupport",
            ]
        ),
    ]
)
