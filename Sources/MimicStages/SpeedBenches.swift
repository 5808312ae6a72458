// The speed benchmarks of evaluation and training as library calls with typed configs: `mimic eval-bench` (ROUGE on a
// file of pairs, HumanEval programs through the sandbox, MMLU-shaped scoring with the local engine) and `mimic
// train-bench` (full fine-tuning of a SmolLM2-135M-shaped Llama). The scripts under scripts/ read what they print.
import Foundation
import MimicCore
import MimicData
import MimicEval
import MimicMetrics
import MimicModels
import MimicTensor
import MimicTrain

/// What `mimic eval-bench` measures.
public enum EvalBenchKind: String, ConfigChoice {
    case rouge, humaneval, mmlu
}

/// What `mimic eval-bench` is configured by.
public struct EvalBenchConfig: StageConfig, Hashable {
    /// rouge, humaneval or mmlu.
    public var what = EvalBenchKind.rouge
    /// rouge: JSONL of `{"target", "prediction"}` pairs.
    public var pairs: String?
    /// rouge: each pair's scores (JSONL); mmlu: each request's token ids and log-likelihood.
    public var out: String?
    /// humaneval: the HumanEval JSONL(.gz), whose canonical solutions are run.
    public var problems: String?
    /// humaneval: programs at once.
    public var parallel = ProcessInfo.processInfo.activeProcessorCount
    /// mmlu: the model.
    public var model = ModelTools.defaultModel
    /// mmlu: questions to score.
    public var questions = 40
    /// mmlu: few-shot examples before each question.
    public var shots = 5
    /// mmlu: batch size.
    public var batchSize = 8
    /// Threads for the local engine (mmlu) or for scoring pairs (rouge); nil: the cores.
    public var threads: Int?

    public init() {}

    public func validate() throws {
        try ConfigError.requireThreads(threads)
        switch what {
        case .rouge: try ConfigError.require(pairs != nil, "pairs", "is missing", hint: "rouge needs a JSONL file of target/prediction pairs")
        case .humaneval: try ConfigError.require(problems != nil, "problems", "is missing", hint: "humaneval needs HumanEval.jsonl.gz")
        case .mmlu: break
        }
        try ConfigError.require(parallel, in: 1...1024, "parallel")
        try ConfigError.require(questions, in: 1...100_000, "questions")
        try ConfigError.require(shots, in: 0...50, "shots")
        try ConfigError.require(batchSize, in: 1...4096, "batch_size")
    }
}

/// What `mimic eval-bench` measured: the figures its JSON line prints, in its order.
public struct EvalBenchReport: Sendable {
    /// Name and value of each figure (integers are whole numbers).
    public var figures: [(name: String, value: Double, decimals: Int)]

    /// One JSON object on one line, as the bench scripts read it.
    public var jsonLine: String {
        "{" + figures.map { f in
            "\"\(f.name)\": " + (f.decimals == 0 ? String(Int(f.value)) : String(format: "%.\(f.decimals)f", f.value))
        }.joined(separator: ", ") + "}"
    }
}

public enum SpeedBenches {
    /// Runs the eval bench the config names; `onFailure` gets each HumanEval program that did not pass.
    public static func eval(_ c: EvalBenchConfig, onFailure: (String) -> Void = { _ in }) async throws -> EvalBenchReport {
        try c.validate()
        if let threads = c.threads { Threads.set(threads) }
        switch c.what {
        case .rouge: return try rouge(c)
        case .humaneval: return try await humanEval(c, onFailure: onFailure)
        case .mmlu: return try await mmlu(c)
        }
    }

    static func rouge(_ c: EvalBenchConfig) throws -> EvalBenchReport {
        let docs = try DatasetLoader.jsonl(c.pairs ?? "")
        let items = try docs.map { d -> (String, String) in
            guard let t = d.text("target"), let p = d.text("prediction") else {
                throw ConfigError(field: "pairs", problem: "\(d.source) needs string fields target and prediction")
            }
            return (t, p)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let scores = Rouge.scoreAll(targets: items.map { $0.0 }, predictions: items.map { $0.1 },
                                    threads: c.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if let out = c.out {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            var blob = Data()
            for s in scores { blob += try encoder.encode(s) + Data("\n".utf8) }
            try AtomicFile.write(blob, to: out)
        }
        return EvalBenchReport(figures: [("pairs", Double(items.count), 0), ("seconds", seconds, 6)])
    }

    static func humanEval(_ c: EvalBenchConfig, onFailure: (String) -> Void) async throws -> EvalBenchReport {
        let docs = try DatasetLoader.load(format: "humaneval", path: c.problems ?? "")
        let programs = try docs.map { d -> String in
            guard let prompt = d.text("prompt"), let test = d.text("test"), let entry = d.text("entry_point") else {
                throw ConfigError(field: "problems", problem: "\(d.source) needs prompt, test and entry_point")
            }
            return Sandbox.humanEvalProgram(prompt: prompt, completion: d.text("canonical_solution") ?? "", test: test, entryPoint: entry)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let outcomes = await SandboxExecutor(parallelism: c.parallel).run(programs)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        for (doc, o) in zip(docs, outcomes) where !o.passed { onFailure("\(doc.text("task_id") ?? doc.source): \(o.detail)") }
        return EvalBenchReport(figures: [("programs", Double(programs.count), 0), ("passed", Double(outcomes.filter(\.passed).count), 0),
                                         ("seconds", seconds, 3), ("parallel", Double(c.parallel), 0)])
    }

    /// Synthetic MMLU-shaped items (a 5-shot prompt of about 600 tokens, four one-letter choices) scored by log-likelihood.
    static func mmlu(_ c: EvalBenchConfig) async throws -> EvalBenchReport {
        let local = try LocalEvalModel(try OpenedModel(c.model))
        var rng = SplitMix64(seed: 7)
        let words = ["orbit", "planet", "energy", "mass", "light", "star", "comet", "gravity", "moon", "solar", "wave", "field",
                     "pressure", "atom", "theory", "system", "value", "number", "angle", "force"]
        func sentence(_ n: Int) -> String { (0..<n).map { _ in words[rng.below(words.count)] }.joined(separator: " ") }
        func question() -> String {
            "\(sentence(18))?\nA. \(sentence(6))\nB. \(sentence(6))\nC. \(sentence(6))\nD. \(sentence(6))\nAnswer:"
        }
        var requests: [LoglikelihoodRequest] = []
        for _ in 0..<c.questions {
            var prompt = "The following are multiple choice questions (with answers) about astronomy.\n\n"
            for _ in 0..<c.shots { prompt += question() + " " + ["A", "B", "C", "D"][rng.below(4)] + "\n\n" }
            prompt += question()
            for choice in ["A", "B", "C", "D"] { requests.append(LoglikelihoodRequest(context: prompt, continuation: " " + choice)) }
        }
        let tokens = try requests.prefix(4).map { try local.encodePair($0).context.count }.first ?? 0
        let start = DispatchTime.now().uptimeNanoseconds
        let scores = try await local.loglikelihoods(requests, batchSize: c.batchSize)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if let out = c.out {
            // The token ids and scores, so scripts/mmlu_bench.py can score the same tokens with transformers.
            var lines = ""
            for (r, ll) in zip(requests, scores) {
                let (ctx, cont) = try local.encodePair(r)
                lines += "{\"context\": \(ctx), \"continuation\": \(cont), \"loglikelihood\": \(ll.logProbability)}\n"
            }
            try AtomicFile.write(Data(lines.utf8), to: out)
        }
        return EvalBenchReport(figures: [("questions", Double(c.questions), 0), ("prompt_tokens", Double(tokens), 0), ("seconds", seconds, 3),
                                         ("questions_per_second", Double(c.questions) / seconds, 3),
                                         ("prompt_tokens_per_second", Double(tokens * c.questions) / seconds, 1)])
    }
}

// MARK: - train-bench

/// What `mimic train-bench` is configured by.
public struct TrainBenchConfig: StageConfig, Hashable {
    /// Blocks per step.
    public var batch = 4
    /// Tokens per block.
    public var seq = 256
    /// Timed steps.
    public var steps = 3
    /// Untimed warm-up steps.
    public var warmup = 1
    /// Threads (nil: all cores).
    public var threads: Int?
    /// Recompute activations in the backward pass.
    public var recompute = false

    public init() {}

    public func validate() throws {
        try ConfigError.requireThreads(threads)
        try ConfigError.require(batch, in: 1...4096, "batch")
        try ConfigError.require(seq, in: 2...8192, "seq")
        try ConfigError.require(steps, in: 1...100_000, "steps")
        try ConfigError.require(warmup, in: 0...100_000, "warmup")
    }
}

/// What `mimic train-bench` measured.
public struct TrainBenchReport: Codable, Sendable {
    public var batch: Int
    public var seq: Int
    public var tokensPerSecond: Double
    public var peakResidentMB: Int
    public var threads: Int
}

extension SpeedBenches {
    /// Full fine-tuning throughput of a randomly initialised Llama of SmolLM2-135M's shape.
    public static func train(_ c: TrainBenchConfig) throws -> TrainBenchReport {
        try c.validate()
        if let threads = c.threads { Threads.set(threads) }
        let config = LlamaConfig(vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536, numHiddenLayers: 30,
                                 numAttentionHeads: 9, numKeyValueHeads: 3, maxPositionEmbeddings: 8192, rmsNormEps: 1e-5,
                                 ropeTheta: 100000, tieWordEmbeddings: true)
        let model = try TrainableLlama(config: config, tensors: TrainBenchmark.randomLlamaTensors(config, seed: 1))
        model.recomputeActivations = c.recompute
        let rate = try TrainBenchmark.run(model: model, batch: c.batch, length: c.seq, steps: c.steps, warmup: c.warmup)
        return TrainBenchReport(batch: c.batch, seq: c.seq, tokensPerSecond: rate, peakResidentMB: ModelTools.peakResidentMB(),
                                threads: Threads.count)
    }
}
