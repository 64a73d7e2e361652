import ArgumentParser

@main
struct SessionCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessionctl",
        abstract: "Vendure-style web sessions in PostgreSQL: schema, migrations, cleanup, demo and benchmarks.",
        subcommands: [SchemaCommand.self, DemoCommand.self, CleanupCommand.self, StatsCommand.self]
    )
}
