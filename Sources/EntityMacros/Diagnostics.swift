import SwiftDiagnostics
import SwiftSyntax

/// Every diagnostic the entity macros emit.
enum EntityDiagnostic: DiagnosticMessage {
    case notAStruct(macro: String, kind: String)
    case unsupportedType(property: String, type: String)
    case missingTypeAnnotation(property: String)
    case letColumn(property: String)
    case multipleBindings
    case twoPrimaryKeys(first: String, second: String)
    case noPrimaryKey(type: String)
    case generatedKeyNotOptional(property: String)
    case relationNotOptional(property: String)
    case notAColumn(property: String)
    case notALiteral(argument: String)
    case conflictingColumnAttributes(property: String, first: String, second: String)
    case inheritanceOnChild

    var message: String {
        switch self {
        case .notAStruct(let macro, let kind):
            "@\(macro) can only be applied to a struct, not to \(kind)"
        case .unsupportedType(let property, let type):
            "column '\(property)' has unsupported type '\(type)'; use String, Int, Int16, Int32, Int64, Bool, Date, "
                + "Double, Float, Decimal or UUID (or an Optional of one), or give the SQL type with @Column(type:)"
        case .missingTypeAnnotation(let property):
            "column '\(property)' needs an explicit type annotation"
        case .letColumn(let property):
            "column '\(property)' must be declared with 'var'"
        case .multipleBindings:
            "declare one column per 'var'"
        case .twoPrimaryKeys(let first, let second):
            "an entity has one primary column: '\(second)' is declared primary, but '\(first)' already is"
        case .noPrimaryKey(let type):
            "entity '\(type)' has no primary column; add a @PrimaryGeneratedColumn property"
        case .generatedKeyNotOptional(let property):
            "generated primary key '\(property)' must be Optional: it is nil until the database assigns it"
        case .relationNotOptional(let property):
            "relation '\(property)' must be Optional: it holds the related entity only when that is loaded"
        case .notAColumn(let property):
            "stored property '\(property)' is not a column; mark it with @Column (or another column attribute) "
                + "or give it an initial value"
        case .notALiteral(let argument):
            "'\(argument)' must be a literal"
        case .conflictingColumnAttributes(let property, let first, let second):
            "'\(property)' cannot be both @\(first) and @\(second)"
        case .inheritanceOnChild:
            "@TableInheritance belongs on the root entity, not on a @ChildEntity"
        }
    }

    var diagnosticID: MessageID {
        let id: String =
            switch self {
            case .notAStruct: "notAStruct"
            case .unsupportedType: "unsupportedType"
            case .missingTypeAnnotation: "missingTypeAnnotation"
            case .letColumn: "letColumn"
            case .multipleBindings: "multipleBindings"
            case .twoPrimaryKeys: "twoPrimaryKeys"
            case .noPrimaryKey: "noPrimaryKey"
            case .generatedKeyNotOptional: "generatedKeyNotOptional"
            case .relationNotOptional: "relationNotOptional"
            case .notAColumn: "notAColumn"
            case .notALiteral: "notALiteral"
            case .conflictingColumnAttributes: "conflictingColumnAttributes"
            case .inheritanceOnChild: "inheritanceOnChild"
            }
        return MessageID(domain: "EntityMacros", id: id)
    }

    var severity: DiagnosticSeverity { .error }
}

/// Raised to stop an expansion after a diagnostic was recorded.
struct DiagnosticsEmitted: Error {}

extension DeclGroupSyntax {
    /// A name for the kind of declaration, for diagnostics ("a class", "an enum").
    var kindDescription: String {
        switch self.kind {
        case .classDecl: "a class"
        case .enumDecl: "an enum"
        case .actorDecl: "an actor"
        case .protocolDecl: "a protocol"
        case .extensionDecl: "an extension"
        default: "this declaration"
        }
    }
}
