// The evaluator with a scripted model: prompts as the task declares them, per-request caching and resumption,
// the code-execution gate, toxicity errors left out (never scored 0), grouped micro/macro averages.
import Foundation
import MimicCore
@testable import MimicEval
import MimicData
import MimicModels
import Testing

/// A model that fails after answering `failAfter` requests (an interruption).
final class FailingModel: EvalModel, @unchecked Sendable {
    let identity = "scripted"
    let failAfter: Int
    private let lock = NSLock()
    private var answered = 0
    init(failAfter: Int) { self.failAfter = failAfter }

    func loglikelihoods(_ requests: [LoglikelihoodRequest], batchSize: Int) async throws -> [LogLikelihood] { [] }
    func generate(_ requests: [GenerationRequest], batchSize: Int) async throws -> [String] {
        try lock.withLock {
            guard answered + requests.count <= failAfter else { throw EvalError.requestFailed(model: identity, problem: "connection lost") }
            answered += requests.count
        }
        return requests.map { _ in "12" }
    }
}

struct FlakyToxicity: ToxicityScorer {
    let name = "flaky"
    func toxicity(_ texts: [String]) async -> [Result<Double, Error>] {
        texts.enumerated().map { i, _ in i % 2 == 0 ? .success(0.2) : .failure(EvalError.requestFailed(model: "flaky", problem: "HTTP 429")) }
    }
}

@Suite struct EvaluatorTests {
    func options(limit: Int? = nil, batch: Int = 8) -> EvalOptions { EvalPaths.options(limit: limit, batch: batch) }
    func task(_ name: String) throws -> EvalTask { try EvalPaths.task(name) }

    @Test func nqPromptIsDescriptionShotsThenQuestion() async throws {
        let t = try task("nq_open")
        let model = ScriptedEvalModel { r in r.prompt.hasSuffix("Q: who developed the general theory of relativity?\nA:") ? " Albert Einstein\nQ: x" : " no idea" }
        let result = try await Evaluator(model: model, cache: try ItemCache(path: nil), options: options(limit: 3)).run(t)
        let first = try #require(result.samples.first)
        let shots = try DatasetLoader.load(format: "nq_open", path: EvalPaths.tasks + "/fewshot/nq_open.jsonl").prefix(3)
        let expected = t.description! + shots.map { "Q: \($0.text("question")!)?\nA: \($0.text("answer")!)" }.joined(separator: "\n")
            + "\nQ: what is the boiling point of water at sea level in fahrenheit?\nA:"
        #expect(first.prompt == expected)
        #expect(result.samples[1].completions == [" Albert Einstein"])        // cut at the stop string
        #expect(result.samples[1].metrics["exact_match,remove_whitespace"] == 1)
        #expect(result.metrics["exact_match,remove_whitespace"]?.value == 1.0 / 3)
        #expect(result.n == 3)
    }

    @Test func mmluGroupsReportMicroAndMacro() async throws {
        let t = try task("mmlu")
        // Always picks "A": right on the items whose answer is A.
        let model = ScriptedEvalModel(score: { $0.continuation == " A" ? -1 : -2 })
        let result = try await Evaluator(model: model, cache: try ItemCache(path: nil), options: options()).run(t)
        let docs = try DatasetLoader.load(format: "mmlu", path: EvalPaths.samples + "/mmlu", split: "test")
        let right = docs.map { $0.text("answer") == "A" ? 1.0 : 0.0 }
        #expect(result.metrics["acc,none"]?.value == right.reduce(0, +) / Double(right.count))
        let bySubject = Dictionary(grouping: zip(docs, right)) { $0.0.text("subject")! }.mapValues { $0.map(\.1).reduce(0, +) / Double($0.count) }
        #expect(result.groups?["astronomy"]?["acc,none"]?.value == bySubject["astronomy"])
        #expect(abs((result.macro?["acc,none"]?.value ?? -1) - bySubject.values.reduce(0, +) / 2) < 1e-12)
        // Every prompt holds five examples of its own subject.
        let astronomy = try #require(result.samples.first)
        #expect(astronomy.prompt.hasPrefix("The following are multiple choice questions (with answers) about astronomy.\n\n"))
        #expect(astronomy.prompt.components(separatedBy: "\nAnswer:").count - 1 == 6)
        var limited = options(limit: 2)
        limited.limit = 2
        let two = try await Evaluator(model: model, cache: try ItemCache(path: nil), options: limited).run(t)
        #expect(two.n == 4)                                                  // two per subject
    }

    func interruptedRun(_ t: EvalTask, cache path: String) async throws {
        let cache = try ItemCache(path: path)
        // A second writer is refused while this one holds the cache.
        #expect(throws: EvalError.self) { try ItemCache(path: path) }
        await #expect(throws: EvalError.self) {
            try await Evaluator(model: FailingModel(failAfter: 4), cache: cache, options: options(batch: 1)).run(t)
        }
    }

    func resumedRun(_ t: EvalTask, model: ScriptedEvalModel, cache path: String) async throws -> TaskResult {
        let reopened = try ItemCache(path: path)
        #expect(reopened.count == 4)
        return try await Evaluator(model: model, cache: reopened, options: options(batch: 1)).run(t)
    }

    @Test func rerunAnswersFromTheCacheAndResumesAfterAFailure() async throws {
        let dir = try EvalPaths.temporary()
        let t = try task("gsm8k_cot")
        // batch 1: chunks of 4 requests; the second chunk fails. (The cache is closed, and unlocked, when the run ends.)
        try await interruptedRun(t, cache: dir + "/cache.jsonl")
        // A line cut off by the interruption is ignored.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/cache.jsonl"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"key\":\"abc".utf8))
        try handle.close()
        let model = ScriptedEvalModel { _ in " 21. The answer is 21." }
        let result = try await resumedRun(t, model: model, cache: dir + "/cache.jsonl")
        #expect(model.calls == 2)                                            // only the missing ones
        #expect(result.n == 6)
        let again = ScriptedEvalModel { _ in "unused" }
        let rerun = try await Evaluator(model: again, cache: try ItemCache(path: dir + "/cache.jsonl"), options: options()).run(t)
        #expect(again.calls == 0)
        #expect(rerun.samples.map(\.completions) == result.samples.map(\.completions))
    }

    @Test func codeTasksNeedTheFlagAndToxicityErrorsAreNotZeros() async throws {
        let model = ScriptedEvalModel { _ in "    return 1\n" }
        await #expect(throws: EvalError.codeExecutionNotAllowed(task: "humaneval")) {
            try await Evaluator(model: model, cache: try ItemCache(path: nil), options: options()).run(try task("humaneval"))
        }
        let evaluator = Evaluator(model: model, cache: try ItemCache(path: nil), options: options(), toxicity: FlakyToxicity())
        let result = try await evaluator.run(try task("realtoxicityprompts"))
        let m = try #require(result.metrics["non_toxicity,none"])
        #expect(m.n == 3 && m.missing == 3)
        #expect(abs((m.value ?? 0) - 0.8) < 1e-12)
        #expect(result.samples[1].errors?.first?.contains("HTTP 429") == true)
    }

    @Test func reportIsWrittenAtomicallyAndReadBack() async throws {
        let dir = try EvalPaths.temporary()
        let model = ScriptedEvalModel(score: { $0.continuation == " B" ? -1 : -2 })
        let result = try await Evaluator(model: model, cache: try ItemCache(path: nil), options: options()).run(try task("mmlu"))
        let report = EvalReport(model: model.identity, config: nil, options: options(), results: [result])
        try report.write(to: dir + "/out/results.json")
        let back = try EvalReport.read(from: dir + "/out/results.json")
        #expect(back.versions == ["mmlu": 1])
        #expect(back.results[0].metrics == result.metrics)
        #expect(back.results[0].samples.count == 13)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/out") == ["results.json"])
        let table = report.table()
        #expect(table.contains("| mmlu ") && table.contains("acc_norm") && table.contains(" - astronomy"))
    }

    @Test func humanEvalRunsCompletionsInTheSandbox() async throws {
        // The canonical solution passes, a wrong one fails: pass@1 = 2/3 when the third problem gets a wrong body.
        let docs = try DatasetLoader.load(format: "humaneval", path: EvalPaths.samples + "/humaneval/HumanEval.jsonl")
        let solutions = Dictionary(uniqueKeysWithValues: docs.map { ($0.text("prompt")!, $0.text("canonical_solution")!) })
        let wrong = docs[2].text("prompt")!
        let model = ScriptedEvalModel { r in r.prompt == wrong ? "    return None\n" : solutions[r.prompt] ?? "" }
        var o = options()
        o.allowCodeExecution = true
        o.dataOverrides["humaneval"] = EvalPaths.samples + "/humaneval/HumanEval.jsonl.gz"
        let result = try await Evaluator(model: model, cache: try ItemCache(path: nil), options: o,
                                         executor: SandboxExecutor(parallelism: 2)).run(try task("humaneval"))
        #expect(result.samples.map { $0.execution?.first?.passed } == [true, true, false])
        #expect(result.samples[2].execution?.first?.detail.hasPrefix("failed: exit 1") == true)
        #expect(abs((result.metrics["pass_at_1,none"]?.value ?? 0) - 2.0 / 3) < 1e-12)
    }

    @Test func promptsDoNotDependOnLimit() async throws {
        let model = ScriptedEvalModel(score: { _ in -1 })
        for name in ["mmlu", "nq_open", "gsm8k_cot"] {
            let full = try await Evaluator(model: model, cache: try ItemCache(path: nil), options: options()).run(try task(name))
            let one = try await Evaluator(model: model, cache: try ItemCache(path: nil), options: options(limit: 1)).run(try task(name))
            for record in one.samples {
                let same = try #require(full.samples.first { $0.docIndex == record.docIndex })
                #expect(record.prompt == same.prompt, "\(name) #\(record.docIndex)")
            }
        }
    }

    @Test func chatTemplateOptionOverridesTheTask() async throws {
        let model = ScriptedEvalModel { r in r.chat ? " chat" : " raw" }
        var o = options(limit: 2)
        let plain = try await Evaluator(model: model, cache: try ItemCache(path: nil), options: o).run(try task("nq_open"))
        o.chatTemplate = true
        let chat = try await Evaluator(model: model, cache: try ItemCache(path: nil), options: o).run(try task("nq_open"))
        #expect(plain.samples.map(\.completions) == [[" raw"], [" raw"]])
        #expect(chat.samples.map(\.completions) == [[" chat"], [" chat"]])
        #expect(chat.config.chatTemplate == true)
    }
}
