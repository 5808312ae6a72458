// `mimic eval-bench`: speed of evaluation's parts — ROUGE on a file of pairs (scripts/rouge_bench.py compares it
// with rouge-score), HumanEval programs through the sandbox, and MMLU-style scoring with the local engine.
import ArgumentParser
import Foundation
import MimicCore
import MimicData
import MimicEval
import MimicMetrics
import MimicModels
import MimicTeacher
import MimicTensor

struct EvalBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval-bench", abstract: "Measure evaluation speed: rouge, humaneval (sandbox) or mmlu (local scoring).")

    @Argument(help: "rouge, humaneval or mmlu.") var what: String
    @Option(help: "rouge: JSONL of {\"target\", \"prediction\"} pairs.") var pairs: String?
    @Option(help: "rouge: write each pair's scores here (JSONL); mmlu: each request's token ids and log-likelihood.") var out: String?
    @Option(help: "humaneval: the HumanEval JSONL(.gz) (canonical solutions are run).") var problems: String?
    @Option(help: "humaneval: programs at once.") var parallel = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "mmlu: the model.") var model = "smollm2-135m-instruct"
    @Option(help: "mmlu: questions to score.") var questions = 40
    @Option(help: "mmlu: few-shot examples before each question.") var shots = 5
    @Option(help: "mmlu: batch size.") var batchSize = 8
    @Option(name: .shortAndLong, help: "Threads for the local engine (mmlu) or for scoring pairs (rouge; default: the cores).") var threads: Int?

    func run() async throws {
        if let threads { Threads.set(max(1, threads)) }
        switch what {
        case "rouge": try rouge()
        case "humaneval": try await humanEval()
        case "mmlu": try await mmlu()
        default: throw ValidationError("eval-bench measures rouge, humaneval or mmlu")
        }
    }

    struct Pair: Decodable { var target: String; var prediction: String }

    func rouge() throws {
        guard let pairs else { throw ValidationError("rouge needs --pairs FILE") }
        let docs = try DatasetLoader.jsonl(pairs)
        let items = try docs.map { d -> (String, String) in
            guard let t = d.text("target"), let p = d.text("prediction") else {
                throw ValidationError("\(d.source): needs string fields target and prediction")
            }
            return (t, p)
        }
        let targets = items.map { $0.0 }, predictions = items.map { $0.1 }
        let start = DispatchTime.now().uptimeNanoseconds
        let scores = Rouge.scoreAll(targets: targets, predictions: predictions,
                                    threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if let out {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            var blob = Data()
            for s in scores { blob += try encoder.encode(s) + Data("\n".utf8) }
            guard FileManager.default.createFile(atPath: out, contents: blob) else { throw ValidationError("\(out): cannot write") }
        }
        print(String(format: "{\"pairs\": %d, \"seconds\": %.6f}", items.count, seconds))
    }

    func humanEval() async throws {
        guard let problems else { throw ValidationError("humaneval needs --problems HumanEval.jsonl.gz") }
        let docs = try DatasetLoader.load(format: "humaneval", path: problems)
        let programs = docs.map {
            Sandbox.humanEvalProgram(prompt: $0.text("prompt")!, completion: $0.text("canonical_solution") ?? "", test: $0.text("test")!,
                                  entryPoint: $0.text("entry_point")!)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let outcomes = await SandboxExecutor(parallelism: parallel).run(programs)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let passed = outcomes.filter(\.passed).count
        for (doc, o) in zip(docs, outcomes) where !o.passed { printError("\(doc.text("task_id") ?? doc.source): \(o.detail)") }
        print(String(format: "{\"programs\": %d, \"passed\": %d, \"seconds\": %.3f, \"parallel\": %d}", programs.count, passed, seconds, parallel))
    }

    /// Synthetic MMLU-shaped items (5-shot prompt of about 600 tokens, four one-letter choices) scored by log-likelihood.
    func mmlu() async throws {
        let opened = try OpenedModel(model)
        let local = try LocalEvalModel(opened)
        var rng = SplitMix64(seed: 7)
        let words = ["orbit", "planet", "energy", "mass", "light", "star", "comet", "gravity", "moon", "solar", "wave", "field",
                     "pressure", "atom", "theory", "system", "value", "number", "angle", "force"]
        func sentence(_ n: Int) -> String { (0..<n).map { _ in words[rng.below(words.count)] }.joined(separator: " ") }
        func question() -> String {
            "\(sentence(18))?\nA. \(sentence(6))\nB. \(sentence(6))\nC. \(sentence(6))\nD. \(sentence(6))\nAnswer:"
        }
        var requests: [LoglikelihoodRequest] = []
        for _ in 0..<questions {
            var prompt = "The following are multiple choice questions (with answers) about astronomy.\n\n"
            for _ in 0..<shots { prompt += question() + " " + ["A", "B", "C", "D"][rng.below(4)] + "\n\n" }
            prompt += question()
            for c in ["A", "B", "C", "D"] { requests.append(LoglikelihoodRequest(context: prompt, continuation: " " + c)) }
        }
        let tokens = try requests.prefix(4).map { try local.encodePair($0).context.count }.first ?? 0
        let start = DispatchTime.now().uptimeNanoseconds
        let scores = try await local.loglikelihoods(requests, batchSize: batchSize)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if let out {
            // The token ids and scores, so scripts/mmlu_bench.py can score the same tokens with transformers.
            var lines = ""
            for (r, ll) in zip(requests, scores) {
                let (ctx, cont) = try local.encodePair(r)
                lines += "{\"context\": \(ctx), \"continuation\": \(cont), \"loglikelihood\": \(ll.logProbability)}\n"
            }
            guard FileManager.default.createFile(atPath: out, contents: Data(lines.utf8)) else { throw ValidationError("\(out): cannot write") }
        }
        print(String(format: "{\"questions\": %d, \"prompt_tokens\": %d, \"seconds\": %.3f, \"questions_per_second\": %.3f, \"prompt_tokens_per_second\": %.1f}",
                     questions, tokens, seconds, Double(questions) / seconds, Double(tokens * questions) / seconds))
    }
}
