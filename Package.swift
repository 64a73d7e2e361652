// swift-tools-version: 6.2
import CompilerPluginSupport
import PackageDescription

// `LIBPQ_TSAN=1` (set by scripts/tsan for ThreadSanitizer runs) swaps the package's locks for ones the
// sanitizer can see (see Sources/LibPQ/Support/SanitizerMutex.swift). Normal builds are unaffected.
let sanitizerLocks: [SwiftSetting] =
    Context.environment["LIBPQ_TSAN"].map { $0.isEmpty ? [] : [.define("LIBPQ_TSAN")] } ?? []

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
] + sanitizerLocks

let testSettings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "PostgresSessions",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LibPQ", targets: ["LibPQ"]),
        .library(name: "Entities", targets: ["Entities"]),
        .library(name: "Sessions", targets: ["Sessions"]),
        .executable(name: "sessionctl", targets: ["sessionctl"]),
        // The Hummingbird 2 integration (issue 16). Its own target, behind the trait `Hummingbird` (off by
        // default): a package using LibPQ, Entities or Sessions neither fetches nor compiles Hummingbird or
        // SwiftNIO (measured in the README).
        .library(name: "HummingbirdPostgresSessions", targets: ["HummingbirdPostgresSessions"]),
    ],
    // Off by default, so a package that uses only LibPQ, Entities or Sessions resolves, fetches and builds
    // exactly what it did before the integration existed. A server enables it
    // (`.package(url: ..., from: ..., traits: ["Hummingbird"])`); without it the integration's, the example's
    // and their tests' sources compile to nothing (`#if Hummingbird`). This repository's scripts build with
    // `--traits Hummingbird` (scripts/lib/pg.sh), one build configuration for all of them.
    traits: [
        .trait(name: "Hummingbird", description: "The Hummingbird 2 integration (HummingbirdPostgresSessions)."),
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-syntax.git", "600.0.1"..<"604.0.0"),
        // Only for the Hummingbird integration, its example server and their tests. `traits: []` leaves
        // out Hummingbird's swift-configuration support, which none of them use.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // `swift package generate-documentation` (scripts/docs); a command plugin, built only when run.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        .target(
            name: "LibPQ",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .macro(
            name: "EntityMacros",
            dependencies: [
                .product(name: "SwiftSyntax", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacros", package: "swift-syntax"),
                .product(name: "SwiftCompilerPlugin", package: "swift-syntax"),
                .product(name: "SwiftDiagnostics", package: "swift-syntax"),
                .product(name: "SwiftBasicFormat", package: "swift-syntax"),
            ]
        ),
        .target(
            name: "Entities",
            dependencies: [
                "LibPQ",
                "EntityMacros",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Sessions",
            dependencies: [
                "LibPQ",
                "Entities",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "sessionctl",
            dependencies: [
                "EmbeddedPostgres",
                "LibPQ",
                "Entities",
                "Sessions",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // A throwaway PostgreSQL cluster in a temporary directory, for `sessionctl demo` and the example
        // server when DATABASE_URL is unset. Not a product.
        .target(
            name: "EmbeddedPostgres",
            dependencies: ["LibPQ"],
            swiftSettings: strict
        ),
        .target(
            name: "HummingbirdPostgresSessions",
            dependencies: [
                "LibPQ",
                "Sessions",
                .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["Hummingbird"])),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth", condition: .when(traits: ["Hummingbird"])),
                .product(name: "HTTPTypes", package: "swift-http-types", condition: .when(traits: ["Hummingbird"])),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The example storefront server (issue 16): the application in a library, so the HTTP tests run
        // the very server the executable runs.
        .target(
            name: "StorefrontExample",
            dependencies: [
                "LibPQ",
                "Sessions",
                "HummingbirdPostgresSessions",
                .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["Hummingbird"])),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus", condition: .when(traits: ["Hummingbird"])),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/Storefront/Sources/StorefrontExample",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "storefront",
            dependencies: [
                "StorefrontExample",
                "EmbeddedPostgres",
                "LibPQ",
                .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["Hummingbird"])),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus", condition: .when(traits: ["Hummingbird"])),
            ],
            path: "Examples/Storefront/Sources/storefront",
            swiftSettings: strict
        ),
        .target(
            name: "TestSupport",
            dependencies: ["LibPQ", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport",
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "LibPQTests",
            dependencies: [
                "LibPQ", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "SessionsTests",
            dependencies: [
                "Sessions",
                "TestSupport",
                "Entities",
                "LibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: testSettings
        ),
        // The fault suite (issue 13): needs the server scripts/faults starts, and is skipped by scripts/test.
        .testTarget(
            name: "FaultTests",
            dependencies: ["LibPQ", "Entities", "Sessions", "TestSupport"],
            swiftSettings: testSettings
        ),
        // Entities declared the way an application declares them, for the generic layer's tests (a module
        // of its own: the entity macros' conformances are then complete when the tests are type-checked).
        .target(
            name: "EntityFixtures",
            dependencies: ["Entities"],
            path: "Tests/EntityFixtures",
            swiftSettings: testSettings
        ),
        // HTTP tests over real sockets: the example server, HummingbirdTesting's live client, a real
        // PostgreSQL.
        .testTarget(
            name: "HummingbirdPostgresSessionsTests",
            dependencies: [
                "HummingbirdPostgresSessions",
                "StorefrontExample",
                "EmbeddedPostgres",
                "TestSupport",
                "LibPQ",
                "Sessions",
                .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["Hummingbird"])),
                .product(name: "HummingbirdTesting", package: "hummingbird", condition: .when(traits: ["Hummingbird"])),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth", condition: .when(traits: ["Hummingbird"])),
                .product(name: "HTTPTypes", package: "swift-http-types", condition: .when(traits: ["Hummingbird"])),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: testSettings
        ),
        .testTarget(
            name: "EntitiesTests",
            dependencies: [
                "Entities",
                "EntityFixtures",
                "EntityMacros",
                "TestSupport",
                "LibPQ",
                .product(name: "SwiftParser", package: "swift-syntax"),
                .product(name: "SwiftSyntax", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacros", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacroExpansion", package: "swift-syntax"),
                .product(name: "SwiftSyntaxMacrosTestSupport", package: "swift-syntax"),
            ],
            swiftSettings: testSettings
        ),
    ]
)
