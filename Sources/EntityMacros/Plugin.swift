import SwiftCompilerPlugin
import SwiftSyntaxMacros

@main
struct EntityMacrosPlugin: CompilerPlugin {
    let providingMacros: [any Macro.Type] = [
        EntityMacro.self,
        ChildEntityMacro.self,
        EmbeddableMacro.self,
        MarkerMacro.self,
    ]
}
