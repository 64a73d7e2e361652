import Foundation

/// Reading, writing and checking the checked-in DDL file (`sql/schema.sql`); what `sessionctl schema
/// print|write|check` calls.
public enum SchemaFile {
    /// Where the schema file lives, relative to the package root.
    public static let defaultRelativePath = "sql/schema.sql"

    /// `root/sql/schema.sql`.
    public static func defaultPath(relativeTo root: String) -> String {
        (root as NSString).appendingPathComponent(defaultRelativePath)
    }

    /// The file's text.
    public static func read(at path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    /// Writes `text` to `path`, creating the folder when needed.
    public static func write(_ text: String, to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Nil when `actual` (the file) equals `expected` (generated); otherwise a unified diff from the file to
    /// the generated text.
    public static func check(
        expected: String, actual: String, expectedLabel: String = "generated", actualLabel: String = defaultRelativePath
    ) -> String? {
        guard expected != actual else { return nil }
        return unifiedDiff(from: actual, to: expected, fromLabel: actualLabel, toLabel: expectedLabel)
    }

    /// A unified diff (three lines of context) of two texts, line by line.
    public static func unifiedDiff(from old: String, to new: String, fromLabel: String, toLabel: String) -> String {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Longest common subsequence table, from the end.
        var lcs = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        enum Op { case same(String), remove(String), add(String) }
        var ops: [Op] = []
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                ops.append(.same(a[i])); i += 1; j += 1
            } else if i < a.count, j == b.count || lcs[i + 1][j] >= lcs[i][j + 1] {
                ops.append(.remove(a[i])); i += 1
            } else {
                ops.append(.add(b[j])); j += 1
            }
        }
        var out = "--- \(fromLabel)\n+++ \(toLabel)\n"
        let context = 3
        let changed = ops.indices.filter { if case .same = ops[$0] { return false } else { return true } }
        var k = 0
        while k < changed.count {
            var start = max(0, changed[k] - context)
            var end = min(ops.count, changed[k] + context + 1)
            while k + 1 < changed.count, changed[k + 1] - context <= end {
                k += 1
                end = min(ops.count, changed[k] + context + 1)
            }
            // Line numbers at `start`.
            var oldLine = 1
            var newLine = 1
            for op in ops[..<start] {
                switch op {
                case .same: oldLine += 1; newLine += 1
                case .remove: oldLine += 1
                case .add: newLine += 1
                }
            }
            var body = ""
            var oldCount = 0
            var newCount = 0
            for op in ops[start..<end] {
                switch op {
                case .same(let s): body += " \(s)\n"; oldCount += 1; newCount += 1
                case .remove(let s): body += "-\(s)\n"; oldCount += 1
                case .add(let s): body += "+\(s)\n"; newCount += 1
                }
            }
            out += "@@ -\(oldLine),\(oldCount) +\(newLine),\(newCount) @@\n" + body
            start = end
            k += 1
        }
        return out
    }
}
