// `mimic data language` and `mimic data stats` as a user runs them: a filtered file with its report, statistics
// as JSON (with the diversity figure) and as a table, and clear errors for a bad language code or tokenizer.
import Foundation
import MimicTestSupport
import Testing

@Suite struct DataLangstatsCLITests {
    func sample() throws -> (folder: URL, file: URL) {
        let folder = try Scratch.folder("mimic-langstats")
        let turns = [
            ("Write a short story about a lighthouse keeper who finds a message in a bottle on the shore.", "Once upon a time"),
            ("Écris une courte histoire sur un gardien de phare qui trouve une bouteille sur la plage, s'il te plaît.", "Il était une fois"),
            ("write a short story about a lighthouse keeper who finds a message in a bottle on the shore.", "Again"),
        ]
        let lines = try turns.map { user, answer -> String in
            let object: [String: Any] = ["messages": [["role": "user", "content": user], ["role": "assistant", "content": answer]],
                                         "meta": [:] as [String: Any]]
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        let file = folder.appendingPathComponent("in.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        return (folder, file)
    }

    @Test func languageFilterWritesTheKeptConversationsAndAReport() throws {
        let (folder, file) = try sample()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("en.jsonl").path, report = folder.appendingPathComponent("r.json").path
        let run = try mimic(["data", "language", file.path, "--out", out, "--keep", "en", "--report", report])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("read 3, kept 2, removed 1"))
        let kept = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(kept.count == 2 && !kept.contains { $0.contains("phare") })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
        #expect(json["removedByLanguage"] as? [String: Int] == ["fr": 1])

        let bad = try mimic(["data", "language", file.path, "--out", out, "--keep", "klingon"])
        #expect(bad.status != 0 && bad.stderr.contains("klingon"))
    }

    @Test func statsAsJSONAndAsATable() throws {
        let (folder, file) = try sample()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try mimic(["data", "stats", file.path, "--json", "--tokenizer", "words"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(json["conversations"] as? Int == 3)
        #expect(json["duplicateQueries"] as? Int == 1)
        #expect(json["diversity"] is NSNull)
        #expect(json["languages"] as? [String: Int] == ["en": 2, "fr": 1])

        // --diversity gives the figure `mimic data diversity` reports for the same queries.
        let withDiversity = try mimic(["data", "stats", file.path, "--json", "--tokenizer", "words", "--diversity"])
        let stats = try #require(try JSONSerialization.jsonObject(with: Data(withDiversity.stdout.utf8)) as? [String: Any])
        let alone = try mimic(["data", "diversity", file.path, "--json"])
        let figure = try #require(try JSONSerialization.jsonObject(with: Data(alone.stdout.utf8)) as? [String: Any])
        let mean = try #require(figure["mean_self_bleu"] as? Double)
        #expect(mean > 20 && mean < 100)  // two of the three queries differ only in one letter's case
        #expect(stats["diversity"] as? Double == mean)

        let table = try mimic(["data", "stats", file.path, "--tokenizer", "words"])
        #expect(table.status == 0 && table.stdout.contains("duplicate queries") && table.stdout.contains("Non-English"))
        let bad = try mimic(["data", "stats", file.path, "--tokenizer", "/nonexistent/model.gguf"])
        #expect(bad.status != 0)
    }
}
