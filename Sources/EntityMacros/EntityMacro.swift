import SwiftBasicFormat
import SwiftDiagnostics
import SwiftSyntax
import SwiftSyntaxMacros

/// `@Entity`: see the declaration in the Entities module.
public struct EntityMacro: MemberMacro, ExtensionMacro {
    public static func expansion(
        of node: AttributeSyntax, providingMembersOf declaration: some DeclGroupSyntax,
        conformingTo protocols: [TypeSyntax], in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        guard
            let analysis = try? EntityAnalysis.analyze(
                declaration, macroName: "Entity", mode: .entity(tableName: node.firstUnlabeled), context: nil)
        else { return [] }
        return analysis.joinStorageDeclarations
    }

    public static func expansion(
        of node: AttributeSyntax, attachedTo declaration: some DeclGroupSyntax,
        providingExtensionsOf type: some TypeSyntaxProtocol, conformingTo protocols: [TypeSyntax],
        in context: some MacroExpansionContext
    ) throws -> [ExtensionDeclSyntax] {
        if let name = node.firstUnlabeled, name.stringLiteralValue == nil, !name.isNilLiteral {
            context.diagnose(Diagnostic(node: name, message: EntityDiagnostic.notALiteral(argument: "name")))
            return []
        }
        let analysis: EntityAnalysis
        do {
            analysis = try EntityAnalysis.analyze(
                declaration, macroName: "Entity", mode: .entity(tableName: node.firstUnlabeled), context: context)
        } catch {
            return []
        }
        let access = analysis.memberAccessPrefix
        return [
            analysis.conformanceExtension(
                of: type, conformance: "Entities.Entity",
                leading: ["\(access)typealias PrimaryKey = \(analysis.primaryKeyType ?? "Int")"])
        ]
    }
}

/// `@ChildEntity(of:)`: see the declaration in the Entities module.
public struct ChildEntityMacro: MemberMacro, ExtensionMacro {
    static func mode(_ node: AttributeSyntax) -> EntityMode? {
        guard let parent = node.argument("of")?.metatypeBase else { return nil }
        return .child(parent: parent, discriminatorValue: node.firstUnlabeled)
    }

    public static func expansion(
        of node: AttributeSyntax, providingMembersOf declaration: some DeclGroupSyntax,
        conformingTo protocols: [TypeSyntax], in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        guard let mode = mode(node), case .child(let parent, _) = mode,
            let analysis = try? EntityAnalysis.analyze(declaration, macroName: "ChildEntity", mode: mode, context: nil)
        else { return [] }
        let base: DeclSyntax = """
            /// The `\(raw: parent)` part of the row (Swift's stand-in for `extends \(raw: parent)`).
            \(raw: analysis.memberAccessPrefix)var base: \(raw: parent)
            """
        return [base] + analysis.joinStorageDeclarations
    }

    public static func expansion(
        of node: AttributeSyntax, attachedTo declaration: some DeclGroupSyntax,
        providingExtensionsOf type: some TypeSyntaxProtocol, conformingTo protocols: [TypeSyntax],
        in context: some MacroExpansionContext
    ) throws -> [ExtensionDeclSyntax] {
        guard let mode = mode(node), case .child(let parent, let value) = mode else { return [] }
        if let value, value.stringLiteralValue == nil {
            context.diagnose(Diagnostic(node: value, message: EntityDiagnostic.notALiteral(argument: "discriminatorValue")))
            return []
        }
        guard
            let analysis = try? EntityAnalysis.analyze(
                declaration, macroName: "ChildEntity", mode: mode, context: context)
        else { return [] }
        let access = analysis.memberAccessPrefix
        let discriminator = value?.trimmedDescription ?? "\"\(analysis.typeName)\""
        return [
            analysis.conformanceExtension(
                of: type, conformance: "Entities.ChildEntity",
                leading: [
                    "\(access)typealias Parent = \(parent)",
                    "\(access)typealias PrimaryKey = \(parent).PrimaryKey",
                    "\(access)static var discriminatorValue: String { \(discriminator) }",
                ])
        ]
    }
}

/// `@Embeddable`: see the declaration in the Entities module.
public struct EmbeddableMacro: ExtensionMacro {
    public static func expansion(
        of node: AttributeSyntax, attachedTo declaration: some DeclGroupSyntax,
        providingExtensionsOf type: some TypeSyntaxProtocol, conformingTo protocols: [TypeSyntax],
        in context: some MacroExpansionContext
    ) throws -> [ExtensionDeclSyntax] {
        guard
            let analysis = try? EntityAnalysis.analyze(
                declaration, macroName: "Embeddable", mode: .embeddable, context: context)
        else { return [] }
        let access = analysis.memberAccessPrefix
        let decode = analysis.columns.map(EntityAnalysis.readStatement)
        let insert = analysis.insertStatements { #"Entities.NamingStrategy.embeddedColumnName(prefix: prefix, "\#($0)")"# }
        let list =
            analysis.columns.isEmpty
            ? "[]" : "[\n" + analysis.columns.map { "        " + $0.metadata + "," }.joined(separator: "\n") + "\n    ]"
        let decl: DeclSyntax = """
            extension \(type.trimmed): Entities.Embeddable {
                \(raw: access)static var embeddedColumns: [Entities.ColumnMetadata] {
                    \(raw: list)
                }
                \(raw: access)init(reading reader: inout Entities.ColumnReader) throws {
                    \(raw: decode.isEmpty ? "_ = reader" : decode.joined(separator: "\n        "))
                }
                \(raw: access)func insertValues(prefix: String) -> [Entities.ColumnValue] {
                    \(raw: insert.isEmpty ? "let" : "var") values: [Entities.ColumnValue] = []
                    \(raw: insert.isEmpty ? "_ = prefix" : insert.joined(separator: "\n        "))
                    return values
                }
                \(analysis.visitDeclaration)
            }
            """
        return [decl.formatted().cast(ExtensionDeclSyntax.self)]
    }
}

/// The attributes that only mark declarations for `@Entity` to read (`@Column`, `@Index`, `@ManyToOne`...).
public struct MarkerMacro: PeerMacro {
    public static func expansion(
        of node: AttributeSyntax, providingPeersOf declaration: some DeclSyntaxProtocol,
        in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        []
    }
}
