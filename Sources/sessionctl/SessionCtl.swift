import ArgumentParser

@main
struct SessionCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessionctl",
        abstract: "Vendure-style web sessions in PostgreSQL: schema, migrations, cleanup, demo and benchmarks.",
        subcommands: [DemoCommand.self, SchemaCommand.self, MigrateCommand.self, CleanupCommand.self, StatsCommand.self, BenchCommand.self]
    )
}
