import ArgumentParser
import Entities
import Sessions
import Foundation

/// `sessionctl schema print|write|check`: the DDL generated from the entity declarations, and the
/// checked-in `sql/schema.sql` kept equal to it.
///
/// Register it in the root command's `subcommands`.
struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print, write or check the PostgreSQL DDL generated from the entities.",
        subcommands: [Print.self, Write.self, Check.self])

    /// `schema print`: the DDL on standard output.
    struct Print: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the DDL script.")

        func run() async throws {
            print(try VendureSchema.sql(), terminator: "")
        }
    }

    /// `schema write [--output sql/schema.sql]`.
    struct Write: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the DDL script to a file.")

        @Option(name: .shortAndLong, help: "The file to write.")
        var output: String = SchemaFile.defaultRelativePath

        func run() async throws {
            try SchemaFile.write(try VendureSchema.sql(), to: output)
            print("wrote \(output)")
        }
    }

    /// `schema check [--file sql/schema.sql]`: exits 1 with a diff when the file has drifted.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare a DDL file with the generated DDL; exit 1 with a diff when they differ.")

        @Option(name: .shortAndLong, help: "The file to check.")
        var file: String = SchemaFile.defaultRelativePath

        func run() async throws {
            let actual = (try? SchemaFile.read(at: file)) ?? ""
            if let diff = SchemaFile.check(expected: try VendureSchema.sql(), actual: actual, actualLabel: file) {
                FileHandle.standardError.write(Data(diff.utf8))
                FileHandle.standardError.write(Data("\(file) is out of date: run `sessionctl schema write`\n".utf8))
                throw ExitCode(1)
            }
            print("\(file) is up to date")
        }
    }
}
