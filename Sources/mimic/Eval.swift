// `mimic eval`: run evaluation tasks (tasks/*.yaml) on a local model or an OpenAI-compatible endpoint, resumable
// from a per-request cache; writes a results JSON and prints a summary table.
import ArgumentParser
import Foundation
import MimicEval
import MimicModels
import MimicTeacher
import MimicTensor

struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a model on tasks declared in tasks/*.yaml (NQ, MMLU, GSM8K, HumanEval, CNN/DM, toxicity).")

    @Option(help: "A GGUF file, model folder or built-in name; or openai:MODEL@URL (or openai:MODEL with --base-url).")
    var model = "smollm2-135m-instruct"
    @Option(help: "Comma-separated task names (files in --tasks-dir) or paths to task YAML files.") var tasks: String?
    @Flag(help: "List the tasks in --tasks-dir and exit.") var list = false
    @Option(help: "Folder of task files.") var tasksDir = "tasks"
    @Option(help: "Folder that tasks' dataset paths are relative to.") var dataDir = "data/eval"
    @Option(name: .customLong("data"), help: "TASK=PATH: read TASK's dataset from PATH (repeatable).") var dataOverrides: [String] = []
    @Option(help: "Score only the first N documents of each task.") var limit: Int?
    @Option(help: "Few-shot examples (default: each task's own).") var shots: Int?
    @Option(help: "Seed of sampling and of the bootstrap.") var seed: UInt64 = 1234
    @Option(help: "Requests per model call; scores do not depend on it.") var batchSize = 8
    @Option(help: "Bootstrap resamples for standard errors.") var bootstrap = 1000
    @Option(help: "Results JSON.") var out = "runs/eval/results.json"
    @Option(help: "Per-request cache (JSONL); default: the results path + .cache.jsonl.") var cache: String?
    @Flag(help: "Do not read or write the per-request cache.") var noCache = false
    @Flag(help: "Allow tasks that run the model's code (in Mimic's sandbox).") var allowCodeExecution = false
    @Option(help: "Programs run at once in the sandbox (default: the cores).") var sandboxParallel: Int?
    @Option(help: "Toxicity scorer: offline (profanity-check, a rough stand-in) or perspective (PERSPECTIVE_API_KEY).")
    var toxicity = "offline"
    @Option(help: "Perspective API requests per second.") var perspectiveRate = 1.0
    @Option(help: "Remote: base URL (with openai:MODEL).") var baseURL: String?
    @Option(help: "Remote: a local copy of the model's tokenizer (GGUF, folder or built-in name), to score token ids and render chat templates.")
    var tokenizer: String?
    @Option(help: "Remote: requests in flight at once.") var concurrency = 4
    @Option(help: "Chat template to use instead of the model's (chatml, llama2, llama3, vicuna).") var template: String?
    @Flag(inversion: .prefixedNo, help: "Wrap every task's prompt in the model's chat template, or in none (default: as each task says).")
    var chatTemplate: Bool?
    @Option(name: .shortAndLong, help: "Threads for the local engine.") var threads: Int?
    @Flag(help: "Print every group's rows (MMLU subjects) in the table.") var groups = false

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard bootstrap >= 0 else { throw ValidationError("--bootstrap must be 0 or more") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let shots, shots < 0 { throw ValidationError("--shots must be 0 or more") }
        guard ["offline", "perspective"].contains(toxicity) else { throw ValidationError("--toxicity must be offline or perspective") }
    }

    func run() async throws {
        if list {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: tasksDir)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
            for name in names { print(name.dropLast(5)) }
            return
        }
        guard let tasks, !tasks.isEmpty else { throw ValidationError("give --tasks (see --list)") }
        if let threads {
            guard threads > 0 else { throw ValidationError("--threads must be at least 1") }
            Threads.set(threads)
        }
        let loaded = try tasks.split(separator: ",").map { try EvalTask.resolve(String($0).trimmingCharacters(in: .whitespaces), directories: [tasksDir]) }
        if let twice = Dictionary(grouping: loaded, by: \.task).first(where: { $0.value.count > 1 })?.key {
            throw ValidationError("task '\(twice)' is given twice (two files may declare the same task name); give each once")
        }
        var options = EvalOptions()
        options.limit = limit
        options.shots = shots
        options.seed = seed
        options.batchSize = batchSize
        options.bootstrapIterations = bootstrap
        options.allowCodeExecution = allowCodeExecution
        options.chatTemplate = chatTemplate
        options.dataDirectory = dataDir
        for pair in dataOverrides {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw ValidationError("--data wants TASK=PATH, got '\(pair)'") }
            options.dataOverrides[parts[0]] = parts[1]
        }
        let models = try await EvalModels.open(self)
        let itemCache = try ItemCache(path: noCache ? nil : (cache ?? out + ".cache.jsonl"))
        var evaluator = Evaluator(model: models.model, cache: itemCache, options: options)
        if loaded.contains(where: { $0.metricList.contains { $0.metric == "non_toxicity" } }) {
            evaluator.toxicity = try EvalModels.toxicityScorer(toxicity, rate: perspectiveRate)
        }
        if allowCodeExecution { evaluator.executor = SandboxExecutor(parallelism: sandboxParallel ?? ProcessInfo.processInfo.activeProcessorCount) }
        // Every task's data and prompts are checked before the model is asked anything.
        let prepared = try loaded.map { try evaluator.preflight($0) }
        let config = ["model": model, "tasks": tasks, "command": CommandLine.arguments.joined(separator: " ")]
        let finalEvaluator = evaluator
        let report = try await runInterruptible {
            defer { Task { await models.close() } }
            let bar = EvalProgressBar()
            var results: [TaskResult] = []
            for (task, items) in zip(loaded, prepared) {
                results.append(try await finalEvaluator.run(task, items: items) { bar.update($0) })
                bar.finish()
            }
            return EvalReport(model: finalEvaluator.model.identity, config: config, options: finalEvaluator.options, results: results)
        }
        try report.write(to: out)
        print(report.table(showGroups: groups))
        printError("results: \(out)")
    }
}

/// A live line per task: requests answered, rate and ETA (plain lines when standard error is not a terminal).
final class EvalProgressBar: @unchecked Sendable {
    let tty = isatty(STDERR_FILENO) != 0
    private let lock = NSLock()
    private var start = Date(), startDone = 0, task = "", lastPrint = Date.distantPast

    func update(_ p: EvalProgress) {
        lock.withLock {
            if p.task != task {
                if tty && !task.isEmpty { FileHandle.standardError.write(Data("\n".utf8)) }
                task = p.task
                start = Date()
                startDone = p.done
            }
            let elapsed = Date().timeIntervalSince(start), fresh = p.done - startDone
            let rate = elapsed > 0 ? Double(fresh) / elapsed : 0
            let eta = rate > 0 ? Double(p.total - p.done) / rate : 0
            let width = 24, filled = p.total > 0 ? width * p.done / p.total : width
            let line = String(format: "%@ [%@%@] %d/%d requests (%d cached)  %.1f/s  ETA %@", p.task as NSString,
                              String(repeating: "#", count: filled) as NSString, String(repeating: ".", count: width - filled) as NSString,
                              p.done, p.total, p.cached, rate, ProgressLine.duration(eta) as NSString)
            if tty {
                FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
            } else if p.done == p.total || Date().timeIntervalSince(lastPrint) > 10 {
                printError(line)
                lastPrint = Date()
            }
        }
    }

    func finish() {
        lock.withLock {
            if tty && !task.isEmpty { FileHandle.standardError.write(Data("\n".utf8)) }
            task = ""
        }
    }
}
