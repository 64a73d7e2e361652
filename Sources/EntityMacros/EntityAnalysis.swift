import SwiftDiagnostics
import SwiftSyntax
import SwiftSyntaxMacros

/// What kind of declaration is being expanded.
enum EntityMode {
    case entity(tableName: ExprSyntax?)
    case child(parent: String, discriminatorValue: ExprSyntax?)
    case embeddable
}

/// A column the generated code reads, writes and describes.
struct ColumnSpec {
    var property: String
    /// The column name (before any embedding prefix).
    var column: String
    /// The Swift type to decode, as written (`String`, `Int?`).
    var swiftType: String
    /// The `Entities.ColumnMetadata(...)` expression.
    var metadata: String
    /// Insert the value only when non-nil (a database-generated value).
    var insertOnlyWhenSet: Bool
    /// Whether the property has a value before decoding (an initial value, or an Optional `var`): decoding
    /// keeps it when the row does not hold the column.
    var hasDefault: Bool
}

struct RelationSpec {
    var property: String
    var target: String
    var joinColumn: String
    var access: String?
    var nullable: Bool
    var metadata: String
    /// Whether `@Entity` generates the join column's stored property.
    var generatesStorage: Bool
}

struct EmbeddedSpec {
    var property: String
    var type: String
    var prefix: String
}

/// The parsed declaration.
struct EntityAnalysis {
    var typeName: String
    var access: String?
    var mode: EntityMode
    var inheritance: (column: String, type: String)?
    /// Columns in declaration order.
    var columns: [ColumnSpec] = []
    var relations: [RelationSpec] = []
    var embeddeds: [EmbeddedSpec] = []
    var indexes: [String] = []
    /// Properties set to nil on decoding (relation holders).
    var relationHolders: [String] = []
    var primaryKeyType: String?

    var memberAccessPrefix: String { access.map { $0 + " " } ?? "" }
}

extension EntityAnalysis {
    static let columnAttributes: Set<String> = [
        "Column", "PrimaryGeneratedColumn", "CreateDateColumn", "UpdateDateColumn", "EntityId", "ManyToOne",
        "Embedded",
    ]

    /// Parses `declaration`. Diagnostics are reported only when `context` is given; fatal problems throw.
    static func analyze(
        _ declaration: some DeclGroupSyntax, macroName: String, mode: EntityMode,
        context: (any MacroExpansionContext)?
    ) throws -> EntityAnalysis {
        var failed = false
        func diagnose(_ node: some SyntaxProtocol, _ message: EntityDiagnostic) {
            failed = true
            context?.diagnose(Diagnostic(node: Syntax(node), message: message))
        }
        guard let structDecl = declaration.as(StructDeclSyntax.self) else {
            diagnose(declaration.introducer, .notAStruct(macro: macroName, kind: declaration.kindDescription))
            throw DiagnosticsEmitted()
        }
        var analysis = EntityAnalysis(
            typeName: structDecl.name.text, access: structDecl.modifiers.accessLevel, mode: mode)
        let typeAttributes = structDecl.attributes.compactMap { $0.as(AttributeSyntax.self) }
        var primary: String?
        func notePrimary(_ name: String, _ node: some SyntaxProtocol, keyType: String) {
            if let primary {
                diagnose(node, .twoPrimaryKeys(first: primary, second: name))
            } else {
                primary = name
                analysis.primaryKeyType = keyType
            }
        }

        // Type-level attributes.
        var typeIndexes: [String] = []
        for attribute in typeAttributes {
            switch attribute.simpleName {
            case "TableInheritance":
                if case .child = mode { diagnose(attribute, .inheritanceOnChild) }
                let column = attribute.argument("column")?.stringLiteralValue ?? "type"
                let type = attribute.argument("type")?.stringLiteralValue ?? "varchar"
                analysis.inheritance = (column, type)
            case "Index":
                if let index = indexMetadata(attribute, columns: attribute.firstUnlabeled, property: nil) {
                    typeIndexes.append(index)
                }
            default: break
            }
        }

        // Members.
        let declaredNames = Set(
            structDecl.memberBlock.members.compactMap { $0.decl.as(VariableDeclSyntax.self) }
                .flatMap { $0.bindings.compactMap { $0.pattern.as(IdentifierPatternSyntax.self)?.identifier.text } })
        for member in structDecl.memberBlock.members {
            guard let variable = member.decl.as(VariableDeclSyntax.self), !variable.modifiers.isStatic else { continue }
            let attributes = variable.attributes.compactMap { $0.as(AttributeSyntax.self) }
            let markers = attributes.filter { Self.columnAttributes.contains($0.simpleName) }
            // Skip computed properties.
            if variable.bindings.contains(where: { $0.accessorBlock != nil && !isObserverOnly($0.accessorBlock!) }) {
                continue
            }
            guard variable.bindings.count == 1, let binding = variable.bindings.first,
                let name = binding.pattern.as(IdentifierPatternSyntax.self)?.identifier.text
            else {
                if !markers.isEmpty { diagnose(variable, .multipleBindings) }
                continue
            }
            guard let kind = markers.first else {
                if binding.initializer == nil {
                    diagnose(binding.pattern, .notAColumn(property: name))
                }
                continue
            }
            if markers.count > 1 {
                diagnose(
                    markers[1],
                    .conflictingColumnAttributes(
                        property: name, first: kind.simpleName, second: markers[1].simpleName))
                continue
            }
            if variable.bindingSpecifier.tokenKind == .keyword(.let) {
                diagnose(variable.bindingSpecifier, .letColumn(property: name))
                continue
            }
            guard let type = binding.typeAnnotation?.type else {
                diagnose(binding.pattern, .missingTypeAnnotation(property: name))
                continue
            }
            let wrapped = type.optionalWrapped
            let isOptional = wrapped != nil
            let base = wrapped ?? type
            let swiftType = type.trimmedDescription
            let hasDefault = binding.initializer != nil || isOptional
            for index in attributes where index.simpleName == "Index" {
                if let spec = indexMetadata(index, columns: nil, property: name) { analysis.indexes.append(spec) }
            }

            switch kind.simpleName {
            case "Column", "EntityId":
                // `@EntityId` is a `@Column` holding another entity's id: typed by the Swift type, no
                // length or default, optionally the primary key.
                var args: [String] = [#"propertyName: "\#(name)""#]
                var columnName = name
                if let n = kind.argument("name") {
                    guard let literal = n.stringLiteralValue else {
                        diagnose(n, .notALiteral(argument: "name"))
                        continue
                    }
                    columnName = literal
                    args.append(#"name: "\#(literal)""#)
                }
                if let explicit = kind.argument("type") {
                    args.append("type: \(explicit.trimmedDescription)")
                } else if let sqlType = sqlType(for: base.simpleName) {
                    args.append(#"type: "\#(sqlType)""#)
                } else {
                    diagnose(type, .unsupportedType(property: name, type: base.trimmedDescription))
                    continue
                }
                for label in ["length", "precision", "scale"] {
                    if let e = kind.argument(label), !e.isNilLiteral { args.append("\(label): \(e.trimmedDescription)") }
                }
                if let nullable = kind.argument("nullable"), !nullable.isNilLiteral {
                    args.append("isNullable: \(nullable.trimmedDescription)")
                } else if isOptional {
                    args.append("isNullable: true")
                }
                if let d = kind.argument("default"), !d.isNilLiteral {
                    args.append("defaultValue: \(d.trimmedDescription)")
                }
                if let u = kind.argument("unique"), u.trimmedDescription != "false" {
                    args.append("isUnique: \(u.trimmedDescription)")
                }
                if kind.simpleName == "EntityId", kind.argument("primary")?.booleanLiteralValue == true {
                    args.append("isPrimary: true")
                    notePrimary(name, kind, keyType: base.trimmedDescription)
                }
                if let r = kind.argument("registration") { args.append("registration: \(r.trimmedDescription)") }
                analysis.columns.append(
                    ColumnSpec(
                        property: name, column: columnName, swiftType: swiftType,
                        metadata: "Entities.ColumnMetadata(\(args.joined(separator: ", ")))", insertOnlyWhenSet: false,
                        hasDefault: hasDefault))

            case "PrimaryGeneratedColumn":
                let strategy = kind.firstUnlabeled?.trimmedDescription ?? ".increment"
                let registration = kind.argument("registration").map { ", registration: \($0.trimmedDescription)" } ?? ""
                let isUUID = strategy.hasSuffix("uuid")
                guard isOptional else {
                    diagnose(type, .generatedKeyNotOptional(property: name))
                    continue
                }
                notePrimary(name, kind, keyType: base.trimmedDescription)
                let sql = isUUID ? "uuid" : (sqlType(for: base.simpleName) ?? "integer")
                analysis.columns.append(
                    ColumnSpec(
                        property: name, column: name, swiftType: swiftType,
                        metadata: #"Entities.ColumnMetadata(propertyName: "\#(name)", type: "\#(sql)", isPrimary: true, generation: \#(isUUID ? ".uuid" : ".increment")\#(registration))"#,
                        insertOnlyWhenSet: true, hasDefault: true))

            case "CreateDateColumn", "UpdateDateColumn":
                analysis.columns.append(
                    ColumnSpec(
                        property: name, column: name, swiftType: swiftType,
                        metadata: #"Entities.ColumnMetadata(propertyName: "\#(name)", type: "timestamp", defaultValue: .sql("now()"))"#,
                        insertOnlyWhenSet: isOptional, hasDefault: hasDefault))

            case "ManyToOne":
                guard isOptional else {
                    diagnose(type, .relationNotOptional(property: name))
                    continue
                }
                guard let target = kind.firstUnlabeled?.metatypeBase else { continue }
                let nullableExpr = kind.argument("nullable")
                let nullable = nullableExpr?.booleanLiteralValue ?? true
                var args = [#"propertyName: "\#(name)""#, "target: \(target).self", #"joinColumn: "\#(name)Id""#]
                if let nullableExpr { args.append("isNullable: \(nullableExpr.trimmedDescription)") }
                if let e = kind.argument("onDelete") { args.append("onDelete: \(e.trimmedDescription)") }
                if let e = kind.argument("onUpdate") { args.append("onUpdate: \(e.trimmedDescription)") }
                let generates = !declaredNames.contains(name + "Id")
                analysis.relations.append(
                    RelationSpec(
                        property: name, target: target, joinColumn: name + "Id", access: variable.modifiers.accessLevel,
                        nullable: nullable, metadata: "Entities.RelationMetadata(\(args.joined(separator: ", ")))",
                        generatesStorage: generates))
                analysis.relationHolders.append(name)

            case "Embedded":
                let prefix = kind.argument("prefix")?.stringLiteralValue ?? name
                analysis.embeddeds.append(EmbeddedSpec(property: name, type: base.trimmedDescription, prefix: prefix))

            default: break
            }
        }
        analysis.indexes += typeIndexes

        if case .entity = mode, primary == nil, !failed {
            diagnose(structDecl.name, .noPrimaryKey(type: analysis.typeName))
        }
        if failed { throw DiagnosticsEmitted() }
        return analysis
    }

    static func isObserverOnly(_ block: AccessorBlockSyntax) -> Bool {
        guard case .accessors(let list) = block.accessors else { return false }
        return list.allSatisfy {
            $0.accessorSpecifier.tokenKind == .keyword(.willSet) || $0.accessorSpecifier.tokenKind == .keyword(.didSet)
        }
    }

    /// The SQL type TypeORM gives a Swift type (nil when unsupported).
    static func sqlType(for swiftType: String) -> String? {
        switch swiftType {
        case "String": "character varying"
        case "Int", "Int32": "integer"
        case "Int16": "smallint"
        case "Int64": "bigint"
        case "Bool": "boolean"
        case "Date": "timestamp"
        case "Double": "double precision"
        case "Float": "real"
        case "Decimal": "numeric"
        case "UUID": "uuid"
        default: nil
        }
    }

    /// `Entities.IndexMetadata(...)` for an `@Index` attribute.
    static func indexMetadata(_ attribute: AttributeSyntax, columns: ExprSyntax?, property: String?) -> String? {
        var args: [String] = []
        if let property {
            args.append(#"columns: ["\#(property)"]"#)
        } else if let columns {
            args.append("columns: \(columns.trimmedDescription)")
        } else {
            return nil
        }
        if let name = attribute.argument("name"), !name.isNilLiteral { args.append("name: \(name.trimmedDescription)") }
        if let unique = attribute.argument("unique"), unique.trimmedDescription != "false" {
            args.append("isUnique: \(unique.trimmedDescription)")
        }
        if let predicate = attribute.argument("where"), !predicate.isNilLiteral {
            args.append("predicate: \(predicate.trimmedDescription)")
        }
        return "Entities.IndexMetadata(\(args.joined(separator: ", ")))"
    }
}
