@testable import Entities
import Testing

@Suite struct NamingStrategyTests {
    @Test func tableNameIsTypeORMSnakeCase() {
        #expect(NamingStrategy.tableName("Order") == "order")
        #expect(NamingStrategy.tableName("AnonymousSession") == "anonymous_session")
        #expect(NamingStrategy.tableName("HTMLPage") == "html_page")
        #expect(NamingStrategy.tableName("Order2Line") == "order2_line")
    }

    @Test func embeddedColumnNamesAreCamelPrefixPlusTitleCase() {
        #expect(NamingStrategy.embeddedColumnName(prefix: "customFields", "userAgent") == "customFieldsUseragent")
        #expect(NamingStrategy.embeddedColumnName(prefix: "CustomFields", "erp_id") == "customFieldsErp_id")
    }

    /// Names from migrations TypeORM generated for Vendure databases.
    @Test func namesMatchRealVendureMigrations() {
        #expect(NamingStrategy.indexName(table: "session", columns: ["token"]) == "IDX_232f8e85d7633bd6ddfad42169")
        #expect(NamingStrategy.primaryKeyName(table: "session", columns: ["id"]) == "PK_f55da76ac1c3ac420f444d2ff11")
        #expect(NamingStrategy.foreignKeyName(table: "session", columns: ["userId"]) == "FK_3d2f174ef04fb312fdebd0ddc53")
        #expect(NamingStrategy.indexName(table: "session", columns: ["userId"]) == "IDX_3d2f174ef04fb312fdebd0ddc5")
        #expect(NamingStrategy.indexName(table: "session", columns: ["type"]) == "IDX_e5598363000cab9d9116bd5835")
        #expect(NamingStrategy.uniqueConstraintName(table: "session", columns: ["token"]) == "UQ_232f8e85d7633bd6ddfad421696")
        #expect(NamingStrategy.primaryKeyName(table: "user", columns: ["id"]) == "PK_cace4a159ff9f2512dd42373760")
        #expect(NamingStrategy.uniqueConstraintName(table: "channel", columns: ["code"]) == "UQ_06127ac6c6d913f4320759971db")
        #expect(NamingStrategy.relationConstraintName(table: "customer", columns: ["userId"]) == "REL_3f62b42ed23958b120c235f74d")
        #expect(NamingStrategy.indexName(table: "order", columns: ["code"]) == "IDX_729b3eea7ce540930dbb706949")
    }

    @Test func columnsAreSortedBeforeHashing() {
        #expect(
            NamingStrategy.indexName(table: "stock_level", columns: ["stockLocationId", "productVariantId"])
                == "IDX_7fc20486b8cfd33dc84c96e168")
        #expect(
            NamingStrategy.primaryKeyName(table: "t", columns: ["b", "a"])
                == NamingStrategy.primaryKeyName(table: "t", columns: ["a", "b"]))
    }

    @Test func partialIndexConditionIsPartOfTheKey() {
        #expect(NamingStrategy.key("t", ["a"], "\"a\" IS NOT NULL") == "t_a_\"a\" IS NOT NULL")
        #expect(
            NamingStrategy.indexName(table: "t", columns: ["a"], where: "x")
                == "IDX_" + NamingStrategy.hash("t_a_x").prefix(26))
    }
}
