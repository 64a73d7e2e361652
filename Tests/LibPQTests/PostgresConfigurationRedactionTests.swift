import LibPQ
import Testing

/// `dump()`, `Mirror` and `description` of a configuration show no password, wherever the connection
/// string put it.
struct PostgresConfigurationRedactionTests {
    private func dumped(_ value: some Any) -> String {
        var out = ""
        dump(value, to: &out)
        return out
    }

    @Test(arguments: [
        ("postgres://app:Hunter2-uri@db.example:5432/shop", "Hunter2-uri"),
        ("postgresql://app@db.example/shop?password=Hunter2-query&sslmode=disable", "Hunter2-query"),
        ("host=db.example user=app password=Hunter2-kv dbname=shop", "Hunter2-kv"),
        ("host=db.example password='Hunter2 quoted' dbname=shop", "Hunter2 quoted"),
        ("host=db.example sslpassword=Hunter2-ssl", "Hunter2-ssl"),
        // libpq expands a connection string or URI given as dbname only when connecting: it is kept whole.
        ("host=db.example dbname='postgres://app:Hunter2-nested@other/shop'", "Hunter2-nested"),
        ("dbname='host=other password=Hunter2-nestedkv'", "Hunter2-nestedkv"),
    ])
    func dumpMirrorAndDescriptionShowNoPassword(_ connectionString: String, _ secret: String) throws {
        let configuration = try PostgresConfiguration(connectionString)
        // The secret is there to connect with.
        #expect(configuration.parameters.contains { $0.value.contains(secret) })
        #expect(!dumped(configuration).contains(secret))
        #expect(!configuration.description.contains(secret))
        #expect(!String(reflecting: configuration).contains(secret))
        #expect(!"\(Mirror(reflecting: configuration).children.map(\.value))".contains(secret))
        #expect(!dumped([configuration]).contains(secret))  // nested too
    }

    @Test func dumpShowsTheSettingsAndTheRedactedParameters() throws {
        var configuration = try PostgresConfiguration("postgres://app:Hunter2@db.example:6543/shop")
        configuration.statementCacheCapacity = 17
        let text = dumped(configuration)
        for part in ["db.example", "6543", "shop", "app", "password", "***", "statementCacheCapacity: 17", "connectTimeout"] {
            #expect(text.contains(part), "\(part) in \(text)")
        }
        let labels = Mirror(reflecting: configuration).children.compactMap(\.label)
        #expect(labels.contains("parameters") && labels.contains("applicationName"))
    }

    @Test func aPasswordSetThroughTheSubscriptIsRedactedToo() throws {
        var configuration = try PostgresConfiguration("host=db.example")
        configuration["password"] = "Hunter2-set"
        #expect(configuration["password"] == "Hunter2-set")
        #expect(!dumped(configuration).contains("Hunter2-set"))
        #expect(!configuration.description.contains("Hunter2-set"))
    }
}
