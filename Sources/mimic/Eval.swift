// `mimic eval`: run evaluation tasks (tasks/*.yaml) on a local model or an OpenAI-compatible endpoint. The flags
// become an `EvalConfig`; `EvalRun.run` does the work and writes the results JSON; the table goes to stdout.
import ArgumentParser
import Foundation
import MimicCore
import MimicEval
import MimicStages

struct Eval: AsyncParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a model on tasks declared in tasks/*.yaml (NQ, MMLU, GSM8K, HumanEval, CNN/DM, toxicity).")

    @Option(help: "A config file (YAML or JSON) with EvalConfig's keys (a results JSON's `config` too); flags override it.")
    var config: String?
    @Option(help: "A GGUF file, model folder or built-in name; or openai:MODEL[@URL] (default: smollm2-135m-instruct).")
    var model: String?
    @Option(help: "Comma-separated task names (files in --tasks-dir) or paths to task YAML files.") var tasks: String?
    @Flag(help: "List the tasks in --tasks-dir and exit.") var list = false
    @Option(help: "Folder of task files (default: tasks).") var tasksDir: String?
    @Option(help: "Folder that tasks' dataset paths are relative to (default: data/eval).") var dataDir: String?
    @Option(name: .customLong("data"), help: "TASK=PATH: read TASK's dataset from PATH (repeatable).") var dataOverrides: [String] = []
    @Option(help: "Score only the first N documents of each task.") var limit: Int?
    @Option(help: "Few-shot examples (default: each task's own).") var shots: Int?
    @Option(help: "Seed of sampling and of the bootstrap (default 1234).") var seed: UInt64?
    @Option(help: "Requests per model call; scores do not depend on it (default 8).") var batchSize: Int?
    @Option(help: "Bootstrap resamples for standard errors (default 1000).") var bootstrap: Int?
    @Option(help: "Results JSON (default: runs/eval/results.json).") var out: String?
    @Option(help: "Per-request cache (JSONL); default: the results path + .cache.jsonl.") var cache: String?
    @Flag(help: "Do not read or write the per-request cache.") var noCache = false
    @Flag(help: "Allow tasks that run the model's code (in Mimic's sandbox).") var allowCodeExecution = false
    @Option(help: "Programs run at once in the sandbox (default: the cores).") var sandboxParallel: Int?
    @Option(help: "Toxicity scorer: offline (profanity-check, a rough stand-in) or perspective (PERSPECTIVE_API_KEY).")
    var toxicity: ToxicityScorerKind?
    @Option(help: "Perspective API requests per second (default 1).") var perspectiveRate: Double?
    @Option(help: "Remote: base URL (with openai:MODEL).") var baseURL: String?
    @Option(help: "Remote: a local copy of the model's tokenizer (GGUF, folder or built-in name), to score token ids and render chat templates.")
    var tokenizer: String?
    @Option(help: "Remote: requests in flight at once (default 4).") var concurrency: Int?
    @Option(help: "Remote: the request cache and ledger (default: teacher.sqlite in the cache folder; `mimic ledger` reads it).")
    var requestCache: String?
    @Option(help: "Remote: the ledger's run name (default: the results file's name).") var run: String?
    @Option(help: "Remote: dollars this run may spend; stops before going over.") var budget: Double?
    @Option(help: "Chat template to use instead of the model's (chatml, llama2, llama3, vicuna).") var template: String?
    @Flag(inversion: .prefixedNo, help: "Wrap every task's prompt in the model's chat template, or in none (default: as each task says).")
    var chatTemplate: Bool?
    @Option(name: .shortAndLong, help: "Threads for the local engine.") var threads: Int?
    @Flag(help: "Print every group's rows (MMLU subjects) in the table.") var groups = false

    func run() async throws {
        if list {
            for name in EvalTask.names(in: tasksDir ?? EvalConfig().tasksDir) { print(name) }
            return
        }
        // The options named as EvalConfig's keys come through `flags`; these are parsed or sit under `client`.
        let others: Set<String> = ["config", "list", "groups", "model", "tasks", "dataOverrides", "baseURL", "requestCache", "run",
                                   "budget", "concurrency"]
        let resolved = try ConfigResolver.resolve(EvalConfig(), file: config, environmentPrefix: "MIMIC_EVAL", flags: self,
                                                  except: others) { c in
            if let model { c.model = try ModelRef(parsing: model) }
            if let tasks { c.tasks = tasks.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            for pair in dataOverrides {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw ValidationError("--data wants TASK=PATH, got '\(pair)'") }
                c.data[parts[0]] = parts[1]
            }
            if let baseURL { c.client.baseUrl = baseURL }
            if let requestCache { c.client.cache = requestCache }
            if let run { c.client.run = run }
            if let budget { c.client.budget = budget }
            if let concurrency { c.client.concurrency = concurrency }
        }
        let command = CommandLine.arguments.joined(separator: " ")
        let report = try await runInterruptible { try await EvalRun.run(resolved, command: command, progress: ProgressReporter()) }
        print(report.table(showGroups: groups))
        printError("results: \(resolved.out)")
    }
}

extension ToxicityScorerKind: ExpressibleByArgument {}
