import EntityMacros
import SwiftParser
import SwiftSyntax
import SwiftSyntaxMacroExpansion
import SwiftSyntaxMacros
import Testing

let entityMacros: [String: any Macro.Type] = [
    "Entity": EntityMacro.self, "ChildEntity": ChildEntityMacro.self,
    "Embeddable": EmbeddableMacro.self, "Column": MarkerMacro.self, "Index": MarkerMacro.self,
    "ManyToOne": MarkerMacro.self, "EntityId": MarkerMacro.self, "PrimaryGeneratedColumn": MarkerMacro.self,
    "CreateDateColumn": MarkerMacro.self, "UpdateDateColumn": MarkerMacro.self, "Embedded": MarkerMacro.self,
    "TableInheritance": MarkerMacro.self,
]

/// Expands `source` and returns the diagnostics' messages.
func diagnostics(of source: String) -> [String] {
    let context = BasicMacroExpansionContext()
    let file = Parser.parse(source: source)
    _ = file.expand(macros: entityMacros, contextGenerator: { _ in context })
    return context.diagnostics.map(\.message)
}

@Suite struct MacroDiagnosticsTests {
    @Test func entityOnAClassIsRejected() {
        #expect(diagnostics(of: "@Entity final class Order {}") == ["@Entity can only be applied to a struct, not to a class"])
        #expect(diagnostics(of: "@Entity enum E {}") == ["@Entity can only be applied to a struct, not to an enum"])
    }

    @Test func unsupportedPropertyType() {
        let source = "@Entity struct Order { @PrimaryGeneratedColumn var id: Int?; @Column var tags: [String] }"
        #expect(
            diagnostics(of: source) == [
                "column 'tags' has unsupported type '[String]'; use String, Int, Int16, Int32, Int64, Bool, Date, "
                    + "Double, Float, Decimal or UUID (or an Optional of one), or give the SQL type with @Column(type:)"
            ])
        // An explicit SQL type is accepted for any Swift type.
        #expect(diagnostics(of: #"@Entity struct O { @PrimaryGeneratedColumn var id: Int?; @Column(type: "text") var tags: Tags }"#).isEmpty)
    }

    @Test func twoPrimaryKeys() {
        let source = "@Entity struct Order { @PrimaryGeneratedColumn var id: Int?; @PrimaryGeneratedColumn var key: Int? }"
        #expect(diagnostics(of: source) == ["an entity has one primary column: 'key' is declared primary, but 'id' already is"])
        let two = "@Entity struct T { @PrimaryGeneratedColumn var a: Int?\n @PrimaryGeneratedColumn(.uuid) var b: UUID? }"
        #expect(diagnostics(of: two) == ["an entity has one primary column: 'b' is declared primary, but 'a' already is"])
    }

    @Test func missingPrimaryKey() {
        #expect(
            diagnostics(of: "@Entity struct Log { @Column var line: String }") == [
                "entity 'Log' has no primary column; add a @PrimaryGeneratedColumn property"
            ])
    }

    @Test func generatedKeyMustBeOptional() {
        #expect(
            diagnostics(of: "@Entity struct T { @PrimaryGeneratedColumn var id: Int }") == [
                "generated primary key 'id' must be Optional: it is nil until the database assigns it"
            ])
    }

    @Test func relationMustBeOptional() {
        #expect(
            diagnostics(of: "@Entity struct S { @PrimaryGeneratedColumn var id: Int?; @ManyToOne(User.self) var user: User }") == [
                "relation 'user' must be Optional: it holds the related entity only when that is loaded"
            ])
    }

    @Test func columnsMustBeVarWithOneTypedBinding() {
        #expect(
            diagnostics(of: "@Entity struct S { @PrimaryGeneratedColumn var id: Int?; @Column let token: String }") == [
                "column 'token' must be declared with 'var'"
            ])
        #expect(
            diagnostics(of: #"@Entity struct S { @PrimaryGeneratedColumn var id: Int?; @Column var token = "" }"#) == [
                "column 'token' needs an explicit type annotation"
            ])
        // (swift-syntax itself also reports that a peer macro needs a single variable.)
        #expect(
            diagnostics(of: "@Entity struct S { @PrimaryGeneratedColumn var id: Int?; @Column var a, b: String }").contains("declare one column per 'var'"))
    }

    @Test func storedPropertiesMustBeColumnsOrInitialized() {
        #expect(
            diagnostics(of: "@Entity struct S { @PrimaryGeneratedColumn var id: Int?; var cache: [String] }") == [
                "stored property 'cache' is not a column; mark it with @Column (or another column attribute) or give it an initial value"
            ])
        #expect(diagnostics(of: "@Entity struct S { @PrimaryGeneratedColumn var id: Int?; var cache: [String] = []; var n: Int { 1 } }").isEmpty)
    }

    @Test func conflictingAttributesAndLiterals() {
        #expect(
            diagnostics(of: "@Entity struct S { @PrimaryGeneratedColumn var id: Int?; @Column @EntityId var x: Int }") == [
                "'x' cannot be both @Column and @EntityId"
            ])
        #expect(diagnostics(of: "@Entity(tableName) struct S { @PrimaryGeneratedColumn var id: Int? }") == ["'name' must be a literal"])
        #expect(
            diagnostics(of: #"@ChildEntity(of: S.self) @TableInheritance(column: "kind") struct C {}"#) == [
                "@TableInheritance belongs on the root entity, not on a @ChildEntity"
            ])
    }

    @Test func validDeclarationsHaveNoDiagnostics() {
        let source = """
            @Entity @TableInheritance(column: "type") @Index(["type"])
            public struct Session {
                @CreateDateColumn public var createdAt: Date?
                @Index(unique: true) @Column public var token: String
                @PrimaryGeneratedColumn(registration: .deferred(1)) public var id: Int?
                @EntityId(nullable: true, registration: .deferred(2)) public var activeOrderId: Int?
                @Index @ManyToOne(Order.self) public var activeOrder: Order?
                @Embedded public var customFields: CustomSessionFields = .init()
            }
            @ChildEntity(of: Session.self) public struct AuthenticatedSession {
                @Index @ManyToOne(User.self, onDelete: .cascade) public var user: User?
                @Column public var authenticationStrategy: String
            }
            """
        #expect(diagnostics(of: source).isEmpty)
    }
}

/// Expands `source` and returns the expanded text.
func expansion(of source: String) -> String {
    let context = BasicMacroExpansionContext()
    return Parser.parse(source: source).expand(macros: entityMacros, contextGenerator: { _ in context }).description
}

/// `insertValues` binds `values` with `let` exactly when nothing is appended (a `var` that never changes
/// draws a warning in the user's code).
@Suite struct InsertValuesBindingTests {
    static let root = """
        @Entity("s") @TableInheritance(column: "type") struct S { @PrimaryGeneratedColumn var id: Int?; @Column var token: String }
        """

    @Test func aChildWithoutColumnsOfItsOwnUsesLet() {
        let text = expansion(of: Self.root + "\n@ChildEntity(of: S.self) struct A {}")
        #expect(text.contains("let values = Self.inheritedInsertValues(self.base)"))
        #expect(!text.contains("var values = Self.inheritedInsertValues"))
        // The root appends its columns and its discriminator.
        #expect(text.contains("var values: [Entities.ColumnValue] = []"))
    }

    @Test func aChildWithAColumnUsesVar() {
        let text = expansion(of: Self.root + "\n@ChildEntity(of: S.self) struct B { @Column var note: String? }")
        #expect(text.contains("var values = Self.inheritedInsertValues(self.base)"))
    }

    @Test func anEmbeddableWithoutColumnsUsesLet() {
        #expect(expansion(of: "@Embeddable struct E {}").contains("let values: [Entities.ColumnValue] = []"))
        #expect(expansion(of: "@Embeddable struct F { @Column var a: String? }").contains("var values: [Entities.ColumnValue] = []"))
    }
}
