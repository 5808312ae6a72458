// `mimic eval` as a user runs it: tasks on the samples with the built-in model, a results file and a table, a
// rerun answered from the cache; bad tasks and data give one line naming the problem and a non-zero exit.
import Foundation
import MimicTestSupport
import Testing

@Suite(.serialized) struct EvalCLITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let samples = root + "/Tests/MimicEvalTests/Resources/samples"
    static let tasks = root + "/tasks"

    func temporary() throws -> String {
        try Scratch.folder("mimic-eval-cli").path
    }

    @Test func badInputIsOneLineAndNonZero() throws {
        let dir = try temporary()
        let bad = dir + "/bad.yaml"
        try "task: x\nversion: 1\n".write(toFile: bad, atomically: true, encoding: .utf8)
        var r = try mimic(["eval", "--tasks", bad, "--tasks-dir", Self.tasks, "--out", dir + "/r.json"])
        #expect(r.status != 0 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(bad), "\(r.stderr)")
        r = try mimic(["eval", "--tasks", "no_such_task", "--tasks-dir", Self.tasks])
        #expect(r.status != 0 && r.stderr.contains("unknown task 'no_such_task'") && r.stderr.contains("nq_open"), "\(r.stderr)")
        r = try mimic(["eval", "--tasks", "humaneval", "--tasks-dir", Self.tasks, "--data-dir", Self.samples, "--out", dir + "/r.json"])
        #expect(r.status != 0 && r.stderr.contains("--allow-code-execution"), "\(r.stderr)")
        r = try mimic(["eval", "--tasks", "nq_open", "--tasks-dir", Self.tasks, "--data", "nq_open=" + Self.samples + "/bad/nq_bad.jsonl",
                       "--out", dir + "/r.json"])
        #expect(r.status != 0 && r.stderr.contains("nq_bad.jsonl:3:"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/r.json"))
        r = try mimic(["eval", "--list", "--tasks-dir", Self.tasks])
        #expect(r.status == 0 && r.stdout.contains("gsm8k_cot\n"))
    }

    @Test(.requires(.smolLM2)) func evaluatesSamplesWritesResultsAndResumes() throws {
        _ = try FetchedAsset.smolLM2.require()
        let dir = try temporary()
        let args = ["eval", "--tasks", "mmlu,gsm8k_cot", "--tasks-dir", Self.tasks, "--data-dir", Self.samples, "--limit", "1",
                    "--out", dir + "/results.json"]
        let first = try mimic(args)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("| mmlu ") && first.stdout.contains("strict-match") && first.stdout.contains("flexible-extract"))
        let data = try #require(FileManager.default.contents(atPath: dir + "/results.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((json["versions"] as? [String: Int]) == ["mmlu": 1, "gsm8k_cot": 1])
        let results = try #require(json["results"] as? [[String: Any]])
        #expect(results.count == 2)
        #expect((results[0]["samples"] as? [Any])?.count == 2)
        #expect(FileManager.default.fileExists(atPath: dir + "/results.json.cache.jsonl"))
        let second = try mimic(args)
        #expect(second.status == 0)
        #expect(second.stderr.contains("(8 cached)") && second.stderr.contains("(1 cached)"), "\(second.stderr)")
        #expect(second.stdout == first.stdout)
    }
}
