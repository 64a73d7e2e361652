import SwiftSyntax

extension AttributeSyntax {
    /// The attribute's name without a module qualifier (`Entities.Column` → `Column`).
    var simpleName: String {
        if let member = attributeName.as(MemberTypeSyntax.self) { return member.name.text }
        return attributeName.trimmedDescription
    }

    var argumentList: LabeledExprListSyntax {
        if case .argumentList(let list) = arguments { return list }
        return []
    }

    /// The expression of the argument labelled `label`, or nil.
    func argument(_ label: String) -> ExprSyntax? {
        argumentList.first { $0.label?.text == label }?.expression
    }

    /// The first unlabelled argument.
    var firstUnlabeled: ExprSyntax? {
        argumentList.first { $0.label == nil }?.expression
    }
}

extension ExprSyntax {
    /// The value of a plain string literal.
    var stringLiteralValue: String? {
        guard let literal = self.as(StringLiteralExprSyntax.self), literal.segments.count == 1,
            case .stringSegment(let segment) = literal.segments.first
        else { return nil }
        return segment.content.text
    }

    var booleanLiteralValue: Bool? {
        self.as(BooleanLiteralExprSyntax.self).map { $0.literal.tokenKind == .keyword(.true) }
    }

    var isNilLiteral: Bool { self.is(NilLiteralExprSyntax.self) }

    /// `Foo.self` → `Foo`.
    var metatypeBase: String? {
        guard let member = self.as(MemberAccessExprSyntax.self), member.declName.baseName.text == "self",
            let base = member.base
        else { return nil }
        return base.trimmedDescription
    }

    /// The string elements of an array literal of string literals.
    var stringArrayLiteral: [String]? {
        guard let array = self.as(ArrayExprSyntax.self) else { return nil }
        var out: [String] = []
        for element in array.elements {
            guard let s = element.expression.stringLiteralValue else { return nil }
            out.append(s)
        }
        return out
    }
}

extension TypeSyntax {
    /// The wrapped type of `T?`, `T!` or `Optional<T>`, or nil when not optional.
    var optionalWrapped: TypeSyntax? {
        if let o = self.as(OptionalTypeSyntax.self) { return o.wrappedType }
        if let o = self.as(ImplicitlyUnwrappedOptionalTypeSyntax.self) { return o.wrappedType }
        if let id = self.as(IdentifierTypeSyntax.self), id.name.text == "Optional",
            let arg = id.genericArgumentClause?.arguments.first
        {
            return TypeSyntax(fromProtocol: arg.argument)
        }
        return nil
    }

    /// The last name component of a simple type (`Foundation.Date` → `Date`).
    var simpleName: String {
        if let member = self.as(MemberTypeSyntax.self) { return member.name.text }
        if let id = self.as(IdentifierTypeSyntax.self) { return id.name.text }
        return trimmedDescription
    }
}

extension TypeSyntax {
    init(fromProtocol node: some SyntaxProtocol) {
        self = TypeSyntax(node) ?? TypeSyntax(stringLiteral: node.trimmedDescription)
    }
}

extension DeclModifierListSyntax {
    /// `public`/`package`/`internal`/`fileprivate`/`private` as written, or nil.
    var accessLevel: String? {
        for modifier in self {
            switch modifier.name.tokenKind {
            case .keyword(.public), .keyword(.package), .keyword(.internal), .keyword(.fileprivate),
                .keyword(.private), .keyword(.open):
                return modifier.name.text == "open" ? "public" : modifier.name.text
            default: continue
            }
        }
        return nil
    }

    var isStatic: Bool {
        contains { $0.name.tokenKind == .keyword(.static) || $0.name.tokenKind == .keyword(.class) }
    }
}
