// Runs one task on one model: load the documents, build prompts, ask the model what the cache does not already
// hold, extract answers, score every item, and aggregate each metric with a bootstrap standard error.
import Foundation
import MimicCore
import MimicData
import MimicMetrics
import MimicModels
import MimicTeacher

/// Settings of an evaluation run.
public struct EvalOptions: Codable, Sendable {
    /// Score only the first N documents of each task.
    public var limit: Int?
    /// Few-shot examples (overrides each task's num_fewshot).
    public var shots: Int?
    /// Seed of sampling and of the bootstrap.
    public var seed: UInt64 = 1234
    /// Requests per model call (log-likelihoods that share a context run it once within a batch).
    public var batchSize: Int = 8
    /// Bootstrap resamples for standard errors.
    public var bootstrapIterations: Int = 1000
    /// Whether tasks may run the code the model writes (in the sandbox).
    public var allowCodeExecution = false
    /// Where dataset paths are relative to.
    public var dataDirectory: String = "data/eval"
    /// Wrap every task's prompts in the model's chat template (true) or none (false), whatever the tasks say.
    public var chatTemplate: Bool?
    /// Dataset paths by task name (relative to the working directory), replacing the task's own.
    public var dataOverrides: [String: String] = [:]

    public init() {}
}

/// Progress of a task: requests answered (cached included) out of all.
public struct EvalProgress: Sendable {
    public var task: String
    public var done: Int
    public var total: Int
    public var cached: Int
}

/// Runs tasks against a model.
public struct Evaluator: Sendable {
    public let model: any EvalModel
    public let cache: ItemCache
    public let options: EvalOptions
    public var toxicity: (any ToxicityScorer)?
    public var executor: (any CodeExecutor)?

    public init(model: any EvalModel, cache: ItemCache, options: EvalOptions,
                toxicity: (any ToxicityScorer)? = nil, executor: (any CodeExecutor)? = nil) {
        self.model = model
        self.cache = cache
        self.options = options
        self.toxicity = toxicity
        self.executor = executor
    }

    /// The documents of a task (limited), each with its index in the whole dataset, and the pool its few-shot
    /// examples come from (never limited, so a document's prompt does not depend on --limit).
    public func documents(_ task: EvalTask) throws -> (docs: [(index: Int, doc: Document)], pool: [Document]) {
        // --data TASK=PATH is a path as the user typed it; a task's own path is relative to the data directory.
        let path = options.dataOverrides[task.task] ?? resolve(task.dataset.path, base: options.dataDirectory)
        let all = try DatasetLoader.load(format: task.dataset.format, path: path, split: task.dataset.split)
        guard !all.isEmpty else { throw EvalError.invalidData(file: path, position: "0", problem: "holds no documents") }
        var docs = all.enumerated().map { (index: $0.offset, doc: $0.element) }
        if let limit = options.limit {
            // Grouped tasks (MMLU's subjects) keep the first N of each group, as if each were its own task.
            if let field = task.groupBy {
                var seen: [String: Int] = [:]
                docs = docs.filter { item in
                    let g = item.doc.text(field) ?? ""
                    seen[g, default: 0] += 1
                    return seen[g]! <= limit
                }
            } else {
                docs = Array(docs.prefix(max(0, limit)))
            }
        }
        var pool = all
        if let file = task.dataset.fewshotPath {
            pool = try DatasetLoader.load(format: task.dataset.format, path: resolve(file, base: task.baseDirectory ?? "."), split: nil)
        } else if let split = task.dataset.fewshotSplit {
            pool = try DatasetLoader.load(format: task.dataset.format, path: path, split: split)
        }
        return (docs, pool)
    }

    /// Checks the code-execution gate, loads a task's documents and builds its prompts without asking the model: a
    /// bad file, field or template is reported before any work is done. `run` takes the result.
    public func preflight(_ task: EvalTask) throws -> [PreparedItem] {
        let metrics = try task.metrics()
        let needsCode = task.unsafeCode == true || metrics.contains { $0.input == .codeOutcomes }
        if needsCode && !options.allowCodeExecution { throw EvalError.codeExecutionNotAllowed(task: task.task) }
        return try prepare(task)
    }

    /// The prepared items of a task.
    func prepare(_ task: EvalTask) throws -> [PreparedItem] {
        let (docs, pool) = try documents(task)
        let builder = try PromptBuilder(task: task, shots: options.shots)
        let pools = task.groupBy.map { g in Dictionary(grouping: pool) { $0.text(g) ?? "" } }
        return try docs.map { index, doc in
            try builder.prepare(doc, index: index, pool: task.groupBy.map { pools?[doc.text($0) ?? ""] ?? [] } ?? pool)
        }
    }

    func resolve(_ path: String, base: String) -> String { path.hasPrefix("/") ? path : base + "/" + path }

    /// Evaluates one task (on `items` from `preflight`, or preflighting it now); `progress` is called as answers arrive.
    public func run(_ task: EvalTask, items prepared: [PreparedItem]? = nil,
                    progress: @escaping @Sendable (EvalProgress) -> Void = { _ in }) async throws -> TaskResult {
        var task = task
        if let chat = options.chatTemplate { task.chatTemplate = chat }
        let items = try prepared ?? preflight(task)
        var records: [ItemRecord]
        switch task.outputType {
        case .multipleChoice: records = try await askChoices(task, items, progress: progress)
        case .generateUntil: records = try await askGenerations(task, items, progress: progress)
        }
        let scorer = ItemScorer(task: task, toxicity: toxicity, executor: executor, cache: cache, progress: progress)
        try await scorer.score(&records, items: items)
        let aggregate = Aggregator(task: task, iterations: options.bootstrapIterations, seed: options.seed)
        return aggregate.result(records: records, model: model.identity)
    }

    private func askChoices(_ task: EvalTask, _ items: [PreparedItem], progress: @Sendable (EvalProgress) -> Void) async throws -> [ItemRecord] {
        let chat = task.chatTemplate == true, delimiter = task.targetDelimiter ?? " "
        var requests: [LoglikelihoodRequest] = [], owners: [Int] = []
        for (i, item) in items.enumerated() {
            for choice in item.choices ?? [] {
                requests.append(LoglikelihoodRequest(context: item.prompt, continuation: delimiter + choice, chat: chat))
                owners.append(i)
            }
        }
        let answers = try await ask(task, requests, progress: progress) { batch in
            try await model.loglikelihoods(batch, batchSize: options.batchSize).map { CachedAnswer.loglikelihood($0.logProbability, greedy: $0.isGreedy) }
        }
        var records = items.map(ItemRecord.init)
        for (r, answer) in answers.enumerated() {
            guard case .loglikelihood(let ll, let greedy) = answer else { continue }
            records[owners[r]].loglikelihoods = (records[owners[r]].loglikelihoods ?? []) + [ll]
            records[owners[r]].isGreedy = (records[owners[r]].isGreedy ?? []) + [greedy]
        }
        return records
    }

    private func askGenerations(_ task: EvalTask, _ items: [PreparedItem], progress: @Sendable (EvalProgress) -> Void) async throws -> [ItemRecord] {
        let g = task.generation, samples = task.samplesPerItem
        var requests: [GenerationRequest] = [], owners: [Int] = []
        for (i, item) in items.enumerated() {
            for s in 0..<samples {
                // Greedy decoding ignores the seed: 0 keeps the cache valid whatever --seed the bootstrap uses.
                let temperature = g?.temperature ?? 0
                let seed = temperature == 0 ? 0 : SplitMix64.mix(options.seed &+ UInt64(item.index) &* 1_000_003 &+ UInt64(s))
                requests.append(GenerationRequest(prompt: item.prompt, until: g?.until ?? [], maxTokens: g?.maxTokens ?? 256,
                                                  temperature: temperature, seed: seed, chat: task.chatTemplate == true))
                owners.append(i)
            }
        }
        let answers = try await ask(task, requests, progress: progress) { batch in
            try await model.generate(batch, batchSize: options.batchSize).map { CachedAnswer.completion($0) }
        }
        var records = items.map(ItemRecord.init)
        for (r, answer) in answers.enumerated() {
            guard case .completion(let text) = answer else { continue }
            records[owners[r]].completions = (records[owners[r]].completions ?? []) + [text]
        }
        return records
    }

    /// Answers for every request: cached ones from the cache, the rest from `send` in chunks, each stored as it
    /// arrives (so an interruption loses at most one chunk).
    private func ask<R: Encodable & Sendable>(_ task: EvalTask, _ requests: [R], progress: @Sendable (EvalProgress) -> Void,
                                              send: ([R]) async throws -> [CachedAnswer]) async throws -> [CachedAnswer] {
        let keys = requests.map { ItemCache.key(model: model.identity, task: task.task, version: task.version, request: $0) }
        var answers = keys.map { cache.answer($0) }
        let missing = answers.indices.filter { answers[$0] == nil }
        let cached = requests.count - missing.count
        progress(EvalProgress(task: task.task, done: cached, total: requests.count, cached: cached))
        let chunk = max(1, options.batchSize) * 4
        var start = 0
        while start < missing.count {
            try Task.checkCancellation()
            let part = Array(missing[start..<min(start + chunk, missing.count)])
            let got = try await send(part.map { requests[$0] })
            guard got.count == part.count else { throw EvalError.requestFailed(model: model.identity, problem: "answered \(got.count) of \(part.count) requests") }
            try cache.store(zip(part, got).map { (keys[$0], $1) })
            for (i, a) in zip(part, got) { answers[i] = a }
            start += part.count
            progress(EvalProgress(task: task.task, done: cached + start, total: requests.count, cached: cached))
        }
        return answers.map { $0! }
    }
}
