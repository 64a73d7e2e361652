// swift-tools-version: 6.2
// The peers of the end-to-end HTTP benchmark (issue 17, item 4), compared with the example storefront
// (built in the root package). A package of its own, so that Vapor, Fluent and postgres-nio never slow the
// main build or Benchmarks/. It does not depend on the root package: SwiftPM cannot build a dependency's
// executable, so the storefront is built in the root anyway, and a dependency here would compile LibPQ,
// Entities, Sessions and swift-syntax (for the entity macros) a second time for one SQL string, which the
// postgres-nio peer copies instead (scripts/bench-http checks the copy against the store's pinned text).
// Run through scripts/bench-http.
import PackageDescription

let package = Package(
    name: "PostgresSessionsHTTPBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // As the root package requires it, without traits (no swift-configuration support).
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // The peers, at the versions the benchmark names.
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
        .package(url: "https://github.com/vapor/vapor.git", exact: "4.122.3"),
        .package(url: "https://github.com/vapor/fluent.git", exact: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", exact: "2.14.0"),
    ],
    targets: [
        // What both peers answer (the JSON body) and how they log, declared once.
        .target(
            name: "PeerSupport",
            dependencies: [.product(name: "Logging", package: "swift-log")]
        ),
        // Hummingbird 2 serving `GET /session` either through postgres-nio's PostgresClient (the store's
        // lookup statement, SessionSQL.lookup) or from memory (no database: the HTTP ceiling).
        .executableTarget(
            name: "HummingbirdPeer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                "PeerSupport",
            ]
        ),
        // Vapor 4 with its own session system stored in PostgreSQL through Fluent.
        .executableTarget(
            name: "VaporPeer",
            dependencies: [
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                "PeerSupport",
            ]
        ),
    ]
)
