import SwiftCompilerPlugin
import SwiftSyntaxMacros

@main
struct EntityMacrosPlugin: CompilerPlugin {
    let providingMacros: [any Macro.Type] = []
}
