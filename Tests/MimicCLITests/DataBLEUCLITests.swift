// `mimic data diversity` and `mimic data leakage` end to end on small conversation files written by the test.
import Foundation
import MimicTestSupport
import Testing

@Suite struct DataBLEUCLITests {
    func conversationLine(_ user: String, _ extra: String = "") throws -> String {
        let content = String(decoding: try JSONEncoder().encode(user), as: UTF8.self)
        return "{\"messages\":[{\"role\":\"user\",\"content\":\(content)},{\"role\":\"assistant\",\"content\":\"ok\"}],"
            + "\"meta\":{\"source\":\"test\(extra)\"}}"
    }

    func folder() throws -> URL {
        try Scratch.folder("mimic-data-bleu")
    }

    @Test func diversityPrintsTheMeanAsJSON() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("c.jsonl")
        let lines = ["how do I sort a list in python", "how do I sort a list in python", "write a poem about rain"]
        try Data(try lines.map { try conversationLine($0) }.joined(separator: "\n").utf8).write(to: file)
        let result = try mimic(["data", "diversity", file.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["queries"] as? Int == 3)
        // two identical queries score 100 each; the poem shares no token with them ("a" aside) -> small
        let mean = try #require(object["mean_self_bleu"] as? Double)
        #expect(mean > 66 && mean < 70)
    }

    @Test func leakageDropsTheCopiedPromptAndReportsItsNeighbour() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = dir.appendingPathComponent("train.jsonl"), eval = dir.appendingPathComponent("eval.jsonl")
        try Data([try conversationLine("explain how photosynthesis works in plants"), try conversationLine("tell me a joke")]
            .joined(separator: "\n").utf8).write(to: train)
        try Data([try conversationLine("explain how photosynthesis works in plants please", "-e0"),
                  try conversationLine("what is the capital of peru", "-e1")].joined(separator: "\n").utf8).write(to: eval)
        let out = dir.appendingPathComponent("kept.jsonl"), report = dir.appendingPathComponent("dropped.jsonl")
        let result = try mimic(["data", "leakage", "--train", train.path, "--eval", eval.path, "--out", out.path,
                                "--report", report.path])
        #expect(result.status == 0, "\(result.stderr)")
        let kept = try String(contentsOf: out, encoding: .utf8).split(separator: "\n")
        #expect(kept.count == 1 && kept[0].contains("capital of peru") && kept[0].contains("test-e1"))
        let dropped = try String(contentsOf: report, encoding: .utf8).split(separator: "\n")
        #expect(dropped.count == 1)
        let line = try #require(try JSONSerialization.jsonObject(with: Data(dropped[0].utf8)) as? [String: Any])
        #expect(line["trainIndex"] as? Int == 0 && line["evalIndex"] as? Int == 0)
        #expect((line["score"] as? Double ?? 0) > 20)
    }

    @Test func missingFileIsAnErrorNamingIt() throws {
        let result = try mimic(["data", "diversity", "/nonexistent/queries.jsonl"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("/nonexistent/queries.jsonl"))
    }
}
