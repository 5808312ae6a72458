// JSONLines.decodeAll reads what forEach reads (blank lines skipped), many lines to a decode call, and still names
// the malformed line when one is in a batch.
import Foundation
import MimicCore
import Testing

@Suite struct DecodeAllTests {
    struct Row: Codable, Equatable { var id: Int; var name: String }

    func file(_ lines: [String]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("decodeall-\(UUID().uuidString).jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func sameRowsAsForEachAcrossBatches() throws {
        let lines = (0..<25).map { i in i % 7 == 3 ? "   " : "{\"id\": \(i), \"name\": \"row \(i)\", \"extra\": [\(i)]}" }
        let url = try file(lines)
        var expected: [Row] = []
        _ = try JSONLines.forEach(Row.self, in: url) { row, _ in expected.append(row) }
        #expect(try JSONLines.decodeAll(Row.self, in: url, batch: 4) == expected)
        #expect(expected.count == 21)
    }

    @Test func aMalformedLineInABatchIsNamed() throws {
        var lines = (0..<12).map { "{\"id\": \($0), \"name\": \"n\"}" }
        lines[9] = "{\"id\": \"nine\", \"name\": \"n\"}"
        let url = try file(lines)
        #expect { try JSONLines.decodeAll(Row.self, in: url, batch: 4) } throws: { error in
            guard case .malformedLine(_, let line, let problem)? = error as? RecordFileError else { return false }
            return line == 10 && problem.contains("id")
        }
    }

    @Test func theFirstBadLineIsNamedWhenBatchesDecodeTogether() throws {
        var lines = (0..<40).map { "{\"id\": \($0), \"name\": \"n\"}" }
        lines[33] = "not json"
        lines[6] = "{\"id\": 6}"
        let url = try file(lines)
        #expect { try JSONLines.decodeAll(Row.self, in: url, batch: 4) } throws: { error in
            guard case .malformedLine(_, let line, let problem)? = error as? RecordFileError else { return false }
            return line == 7 && problem.contains("name")
        }
    }
}
