// `mimic eval` as a library call: an `EvalConfig` (model, tasks, data, options) in, an `EvalReport` out (also
// written to the results JSON, with the resolved config); every task's data and prompts are checked first.
import Foundation
import MimicCore
import MimicModels
import MimicTeacher
import MimicTensor

/// The toxicity scorers.
public enum ToxicityScorerKind: String, ConfigChoice {
    /// profanity-check's model, offline (a rough stand-in).
    case offline
    /// The Perspective API (PERSPECTIVE_API_KEY).
    case perspective
}

/// Everything an evaluation run is configured by.
public struct EvalConfig: StageConfig, Hashable {
    /// The model: a local path or built-in name, or `openai:MODEL[@URL]`.
    public var model = ModelRef.local("smollm2-135m-instruct")
    /// Task names (files in `tasks_dir`) or paths to task YAML files.
    public var tasks: [String] = []
    /// Folder of task files.
    public var tasksDir = "tasks"
    /// Folder that tasks' dataset paths are relative to.
    public var dataDir = "data/eval"
    /// Dataset paths by task name, replacing the task's own.
    public var data: [String: String] = [:]
    /// Score only the first N documents of each task.
    public var limit: Int?
    /// Few-shot examples (default: each task's own).
    public var shots: Int?
    /// Seed of sampling and of the bootstrap.
    public var seed: UInt64 = 1234
    /// Requests per model call; scores do not depend on it.
    public var batchSize = 8
    /// Bootstrap resamples for standard errors.
    public var bootstrap = 1000
    /// The results JSON.
    public var out = "runs/eval/results.json"
    /// The per-request cache (default: the results path + .cache.jsonl).
    public var cache: String?
    /// Do not read or write the per-request cache.
    public var noCache = false
    /// Allow tasks that run the model's code (in Mimic's sandbox).
    public var allowCodeExecution = false
    /// Programs run at once in the sandbox (default: the cores).
    public var sandboxParallel: Int?
    /// The toxicity scorer.
    public var toxicity = ToxicityScorerKind.offline
    /// Perspective API requests per second.
    public var perspectiveRate = 1.0
    /// Remote: a local copy of the model's tokenizer (to score token ids and render chat templates).
    public var tokenizer: String?
    /// Remote: how requests are sent, cached and billed (`base_url` defaults to $MIMIC_EVAL_BASE_URL or OpenAI's;
    /// 4 in flight; the request cache and ledger are collection's, under the run named after the results file).
    /// Perspective's requests go into the same cache and ledger run, whatever the model.
    public var client: ClientConfig = {
        var c = ClientConfig()
        c.concurrency = 4
        return c
    }()
    /// A chat template to use instead of the model's.
    public var template: String?
    /// Wrap every task's prompt in the chat template (true), in none (false), or as each task says (nil).
    public var chatTemplate: Bool?
    /// Threads for the local engine (default: all cores).
    public var threads: Int?

    /// The defaults.
    public init() {}

    public func validate() throws {
        try ConfigError.require(!tasks.isEmpty, "tasks", "names no task", hint: "--tasks T1,T2 (see --list)")
        try ConfigError.require(batchSize >= 1, "batch_size", "must be at least 1")
        try ConfigError.require(bootstrap >= 0, "bootstrap", "must be 0 or more")
        if let limit { try ConfigError.require(limit >= 1, "limit", "must be at least 1") }
        if let shots { try ConfigError.require(shots >= 0, "shots", "must be 0 or more") }
        try ConfigError.requireThreads(threads)
        if let sandboxParallel { try ConfigError.require(sandboxParallel >= 1, "sandbox_parallel", "must be at least 1") }
        try client.validate()
        try ConfigError.require(!client.batch, "client.batch", "evaluation does not use the Batch API")
        try ConfigError.require(perspectiveRate > 0, "perspective_rate", "must be positive")
        for (task, path) in data { try ConfigError.require(!task.isEmpty && !path.isEmpty, "data", "wants TASK=PATH pairs") }
    }

    /// The ledger's run name: `client.run`, else the results file's name without its extension.
    public var runName: String {
        client.run ?? ((out as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    /// The per-request cache's path, nil when caching is off.
    public var cachePath: String? { noCache ? nil : (cache ?? out + ".cache.jsonl") }

    /// The evaluator's options.
    public var options: EvalOptions {
        var o = EvalOptions()
        o.limit = limit
        o.shots = shots
        o.seed = seed
        o.batchSize = batchSize
        o.bootstrapIterations = bootstrap
        o.allowCodeExecution = allowCodeExecution
        o.chatTemplate = chatTemplate
        o.dataDirectory = dataDir
        o.dataOverrides = data
        return o
    }
}

/// Runs evaluations.
public enum EvalRun {
    /// Evaluates `config.model` on `config.tasks`; writes and returns the report. `command` is recorded in it.
    public static func run(_ config: EvalConfig, command: String = "", progress: ProgressReporter = .silent) async throws -> EvalReport {
        try config.validate()
        if let threads = config.threads { Threads.set(threads) }
        let loaded = try config.tasks.map { try EvalTask.resolve($0.trimmingCharacters(in: .whitespaces), directories: [config.tasksDir]) }
        if let twice = Dictionary(grouping: loaded, by: \.task).first(where: { $0.value.count > 1 })?.key {
            throw ConfigError(field: "tasks", problem: "task '\(twice)' is given twice (two files may declare the same task name)", hint: "give each once")
        }
        let models = try await EvalModels.open(config)
        do {
            let itemCache = try ItemCache(path: config.cachePath)
            var evaluator = Evaluator(model: models.model, cache: itemCache, options: config.options)
            if loaded.contains(where: { $0.metricList.contains { $0.metric == "non_toxicity" } }) {
                evaluator.toxicity = try models.toxicityScorer(config)
            }
            if config.allowCodeExecution {
                evaluator.executor = SandboxExecutor(parallelism: config.sandboxParallel ?? ProcessInfo.processInfo.activeProcessorCount)
            }
            // Every task's data and prompts are checked before the model is asked anything.
            let prepared = try loaded.map { try evaluator.preflight($0) }
            var results: [TaskResult] = []
            for (task, items) in zip(loaded, prepared) {
                results.append(try await evaluator.run(task, items: items) { p in
                    progress.update(p.task, done: p.done, total: p.total, unit: "requests", detail: "(\(p.cached) cached)")
                })
                progress.finish()
            }
            await models.close()
            let report = EvalReport(model: evaluator.model.identity, config: config, command: command,
                                    options: evaluator.options, results: results)
            try report.write(to: config.out)
            return report
        } catch {
            await models.close()
            throw error
        }
    }
}

/// The evaluated model and what must be closed after the run.
struct EvalModels: Sendable {
    let model: any EvalModel
    let stack: CachedEndpoint?

    func close() async { await stack?.shutdown() }

    /// A local model, or an endpoint for `openai:MODEL[@URL]` whose requests go through the request cache and the
    /// ledger (run `config.runName`), so a rerun sends nothing and `mimic ledger` shows what evaluation spent.
    static func open(_ config: EvalConfig) async throws -> EvalModels {
        switch config.model.withDefaultBaseURL(config.client.baseUrl) {
        case .local(let name):
            return EvalModels(model: try LocalEvalModel(OpenedModel(name), template: config.template), stack: nil)
        case .remote(let name, let url):
            let env = ProcessInfo.processInfo.environment
            let endpoint = TeacherEndpoint(baseURL: url ?? env["MIMIC_EVAL_BASE_URL"] ?? "https://api.openai.com/v1",
                                           apiKey: env["MIMIC_EVAL_API_KEY"] ?? env["OPENAI_API_KEY"])
            let local = try config.tokenizer.map { try LocalEvalModel(OpenedModel($0), template: config.template) }
            let stack = try CachedEndpoint.open(endpoint: endpoint, keyEndpoint: endpoint.baseURL, model: name,
                                                config: config.client, run: config.runName, seed: config.seed)
            let model = RemoteEvalModel(client: stack.client, model: name, baseURL: endpoint.baseURL, local: local,
                                        concurrency: config.client.concurrency)
            return EvalModels(model: model, stack: stack)
        }
    }

    /// The toxicity scorer: Perspective (PERSPECTIVE_API_KEY) or offline (profanity-check's model). Perspective's
    /// requests go through the request cache and ledger of the evaluated endpoint (`client.cache`, run
    /// `config.runName`), so `mimic ledger --by run` counts them with the run and a rerun sends nothing.
    func toxicityScorer(_ config: EvalConfig) throws -> any ToxicityScorer {
        switch config.toxicity {
        case .perspective:
            guard let key = ProcessInfo.processInfo.environment["PERSPECTIVE_API_KEY"], !key.isEmpty else {
                throw ConfigError(field: "toxicity", problem: "perspective needs PERSPECTIVE_API_KEY in the environment",
                                  hint: "or use --toxicity offline")
            }
            return try PerspectiveScorer(apiKey: key, store: stack?.store ?? RequestStore(path: config.client.cachePath),
                                         run: config.runName,
                                         policy: PerspectiveScorer.policy(requestsPerSecond: config.perspectiveRate),
                                         seed: config.seed)
        case .offline:
            return try OfflineToxicityScorer.open()
        }
    }
}

extension EvalTask {
    /// The task names (`NAME.yaml` files) in `directory`, sorted; none when it cannot be read.
    public static func names(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".yaml") }
            .map { String($0.dropLast(5)) }.sorted()
    }
}
