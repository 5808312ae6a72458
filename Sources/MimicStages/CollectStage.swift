// `mimic collect` as a library call: a `CollectConfig` (generator, teacher, client, output, the generator's
// options) in, the records and a `CollectSummary` (also written beside them as OUT.collect.json) out.
import Foundation
import MimicCore
import MimicData
import MimicTeacher

/// The generators of imitation data.
public enum CollectGenerator: String, ConfigChoice {
    /// Replay the user turns of a prompt file.
    case replay
    /// Natural-Questions-like Q/A pairs (the paper's Table 4 procedure).
    case nqSynthetic = "nq-synthetic"
    /// Summaries in the style of example pairs (Table 5).
    case tldrSynthetic = "tldr-synthetic"
    /// Self-instruct: new instructions from seed tasks, answered by the teacher.
    case selfInstruct = "self-instruct"
}

/// How `replay` reads its prompt file.
public enum PromptFileFormat: String, ConfigChoice {
    case auto, messages, field, text, sharegpt
}

/// Everything a collection is configured by; written beside the output (in `OUT.collect.json`'s `config`).
public struct CollectConfig: StageConfig, Hashable {
    /// The generator.
    public var generator: CollectGenerator
    /// The teacher.
    public var teacher = ModelRef.local("smollm2-135m-instruct")
    /// How requests are sent, cached, billed and limited.
    public var client = ClientConfig()
    /// The conversation JSONL to write.
    public var out = ""
    /// The run's seed: the same seed asks the same requests.
    public var seed: UInt64 = 0
    /// Teacher requests the generator keeps in flight.
    public var inFlight = 64
    /// Seconds between checkpoint writes of the output.
    public var checkpoint = 30.0
    /// Sampling temperature (default: nq-synthetic 1.0, self-instruct 0.7, else the server's).
    public var temperature: Double?
    /// Answer length limit in tokens (default: replay and self-instruct 1024, nq-synthetic 512, tldr-synthetic 256).
    public var maxTokens: Int?
    /// A prompt template file (nq-synthetic, tldr-synthetic, self-instruct); nil: the built-in one.
    public var template: String?
    /// replay: the prompt file.
    public var prompts: String?
    /// replay: how the prompt file is read.
    public var format = PromptFileFormat.auto
    /// replay: the JSONL field holding the prompt (format field).
    public var field: String?
    /// replay: first-turn or turn-by-turn.
    public var turns = ReplayMode.firstTurn
    /// replay: stop at the first malformed input record.
    public var strict = false
    /// replay and tldr-synthetic: only the first N inputs.
    public var limit: Int?
    /// replay: leave out prompts whose first user turn has more than N words (before `limit`), as a study of
    /// short chats does, and to keep a run on small machines short.
    public var maxPromptWords: Int?
    /// replay: which answer to each prompt to ask for (0 the first; 1 a second one, cached apart from the first).
    public var sample = 0
    /// nq-synthetic and self-instruct: how many items are wanted.
    public var count: Int?
    /// nq-synthetic and self-instruct: the seed file (default: the built-in seeds).
    public var seeds: String?
    /// nq-synthetic: seed pairs per request.
    public var seedsPerRequest = 5
    /// nq-synthetic: stop after this many requests (default: max(20, 2 × count)).
    public var maxRequests: Int?
    /// tldr-synthetic: documents to summarise.
    public var posts: String?
    /// tldr-synthetic: example (document, summary) pairs (default: the built-in ones).
    public var examples: String?
    /// tldr-synthetic: the teacher's context length (default: the local model's, else 4096).
    public var contextLength: Int?
    /// self-instruct: reject an instruction whose ROUGE-L F against an existing one exceeds this.
    public var threshold = 0.7

    /// A config for `generator` with the defaults above.
    public init(generator: CollectGenerator) { self.generator = generator }

    /// The answer length limit, the generator's default when not set.
    public var resolvedMaxTokens: Int {
        maxTokens ?? [.replay: 1024, .nqSynthetic: 512, .tldrSynthetic: 256, .selfInstruct: 1024][generator] ?? 1024
    }

    /// The ledger's run name: `client.run`, else the output file's name without its extension.
    public var runName: String {
        client.run ?? ((out as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    public func validate() throws {
        try ConfigError.require(!out.isEmpty, "out", "must name the JSONL file to write", hint: "--out FILE")
        try ConfigError.require(inFlight >= 1, "in_flight", "must be at least 1")
        try ConfigError.require(checkpoint >= 0, "checkpoint", "must be 0 or more seconds")
        try client.validate()
        if let maxTokens { try ConfigError.require(maxTokens >= 1, "max_tokens", "must be at least 1") }
        if let limit { try ConfigError.require(limit >= 0, "limit", "must be 0 or more") }
        if let maxPromptWords { try ConfigError.require(maxPromptWords >= 1, "max_prompt_words", "must be 1 or more") }
        try ConfigError.require(sample >= 0, "sample", "is \(sample)", hint: "0 for the first answer, 1 for a second, …")
        let needs: [CollectGenerator: (String, Bool)] = [
            .replay: ("prompts", prompts != nil), .nqSynthetic: ("count", count != nil),
            .tldrSynthetic: ("posts", posts != nil), .selfInstruct: ("count", count != nil)]
        if let (key, given) = needs[generator], !given {
            throw ConfigError(field: key, problem: "is needed by \(generator.rawValue)", hint: "--\(key.replacingOccurrences(of: "_", with: "-"))")
        }
        if let count { try ConfigError.require(count >= 1, "count", "must be at least 1") }
        try ConfigError.require(seedsPerRequest >= 1, "seeds_per_request", "must be at least 1")
        try ConfigError.require(threshold >= 0 && threshold <= 1, "threshold", "must be in [0, 1]")
        if format == .field { try ConfigError.require(generator == .replay, "format", "applies to replay only") }
        if template != nil {
            try ConfigError.require(generator != .replay, "template", "does not apply to replay",
                                    hint: "templates are for nq-synthetic, tldr-synthetic and self-instruct")
        }
        if client.batch, teacher.isLocal {
            throw ConfigError(field: "client.batch", problem: "needs a remote teacher (the Batch API); a local one answers at once")
        }
    }
}

/// What a collection did: its resolved config and its report; written as `OUT.collect.json`.
public struct CollectSummary: Codable, Sendable {
    /// The config the run used (load it with `--config` to run it again).
    public var config: CollectConfig
    /// The teacher's model name as sent, and the cache's endpoint key.
    public var teacherModel: String
    /// The cache key's endpoint.
    public var endpoint: String
    /// The request cache used.
    public var cache: String
    /// Counts: requests, cached, failed with reasons, duplicates and malformed items dropped, records.
    public var report: CollectionReport
    /// Requests sent now (not from the cache).
    public var sent: Int
    /// Dollars spent now and by the run so far.
    public var spentUSD: Double
    /// Dollars spent by the run, earlier attempts included.
    public var runSpentUSD: Double
}

/// A collection stopped before it finished.
public enum CollectStopped: Error, LocalizedError {
    /// Ctrl-C (task cancelled): what was finished is saved; run the same command to finish.
    case interrupted(out: String, sent: Int, cached: Int)
    /// The budget ran out.
    case budget(String, out: String)

    public var errorDescription: String? {
        switch self {
        case .interrupted(let out, let sent, let cached):
            return "stopped: what was finished is in \(out) and every answer is in the cache; run the same command to finish (\(sent) sent, \(cached) cached)"
        case .budget(let message, let out):
            return "\(message); the records finished so far are in \(out)"
        }
    }
}

/// Runs collections.
public enum Collect {
    /// Runs the generator `config` names against its teacher; writes the records and `OUT.collect.json`.
    public static func run(_ config: CollectConfig, progress: ProgressReporter = .silent) async throws -> CollectSummary {
        try config.validate()
        let inputs = try CollectInputs.load(config, log: progress.note)
        let folder = URL(fileURLWithPath: config.out).deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw ConfigError(field: "out", problem: "cannot create its folder: \(error.localizedDescription)")
        }
        let stack = try await ClientStack.open(config.teacher, config: config.client, run: config.runName)
        let settings = CollectionSettings(maxInFlight: config.inFlight, output: URL(fileURLWithPath: config.out),
                                          checkpointSeconds: config.checkpoint, progress: { p in
            progress.update(p.stage, done: p.done, total: p.total, unit: "requests", detail: "cached \(p.cached)  failed \(p.failed)")
        })
        progress.note("collecting \(config.generator.rawValue) from \(stack.model) (\(stack.server.map { "served by Mimic at \($0.baseURL)" } ?? stack.endpoint.description)); run '\(config.runName)', cache \(config.client.cachePath)")
        let result: CollectionResult
        do {
            if config.client.batch { try await batchRounds(config, inputs: inputs, stack: stack, log: progress.note) }
            result = try await inputs.generate(stack.teacher, settings, stack)
            progress.finish()
        } catch {
            progress.finish()
            let stats = await stack.teacher.stats
            await stack.close()
            if error is CancellationError { throw CollectStopped.interrupted(out: config.out, sent: stats.sent, cached: stats.cached) }
            if case TeacherError.budgetExhausted = error { throw CollectStopped.budget(error.localizedDescription, out: config.out) }
            throw error
        }
        let stats = await stack.teacher.stats
        let traffic = stack.throttled.stats
        await stack.close()
        let summary = CollectSummary(config: config, teacherModel: stack.model, endpoint: stack.keyEndpoint,
                                     cache: config.client.cachePath, report: result.report, sent: stats.sent,
                                     spentUSD: stats.spentUSD, runSpentUSD: stats.runSpentUSD)
        try ConfigResolver.write(summary, to: summaryPath(config.out))
        for line in summaryLines(result.report, stats: stats, traffic: traffic, output: config.out) { progress.note(line) }
        return summary
    }

    /// `OUT.collect.json` beside `out`.
    public static func summaryPath(_ out: String) -> String { (out as NSString).deletingPathExtension + ".collect.json" }

    /// Batch mode: plan the generator's requests against the cache, submit the missing ones, repeat.
    static func batchRounds(_ config: CollectConfig, inputs: CollectInputs, stack: ClientStack, log: @escaping @Sendable (String) -> Void) async throws {
        var options = BatchJob.Options()
        options.pollInterval = .milliseconds(Int64(config.client.batchPoll * 1000))
        options.budget = config.client.budget
        let job = try BatchJob(endpoint: stack.endpoint, keyEndpoint: stack.keyEndpoint, model: stack.model,
                               store: stack.store, prices: config.client.prices.map { try PriceTable.load(from: $0) } ?? .default,
                               run: stack.teacher.run, options: options, progress: { log("batch: \($0)") })
        let model = stack.model, endpoint = stack.keyEndpoint, store = stack.store
        _ = try await collectThroughBatches(
            job: job, planner: { BatchPlanningTeacher(model: model, endpoint: endpoint, store: store) },
            plan: { planner in _ = try await inputs.generate(planner, CollectionSettings(), stack) },
            log: log)
    }

    /// The closing lines: records and requests, failures, skips, retries, notes and cost.
    static func summaryLines(_ r: CollectionReport, stats: CachedTeacher.Stats, traffic: TrafficStats, output: String) -> [String] {
        var line = "wrote \(r.records) records to \(output): \(r.requested) requests (\(r.cached) from the cache, \(stats.sent) sent, \(r.failed) failed)"
        if r.duplicatesDropped > 0 { line += ", \(r.duplicatesDropped) duplicates dropped" }
        if r.malformedDropped > 0 { line += ", \(r.malformedDropped) malformed dropped" }
        if r.similarDropped > 0 { line += ", \(r.similarDropped) too similar" }
        if r.skipped > 0 { line += ", \(r.skipped) skipped" }
        var lines = [line]
        for (reason, count) in r.failureReasons.sorted(by: { $0.value > $1.value }).prefix(5) { lines.append("  failed \(count)×: \(reason)") }
        for (reason, count) in r.skipReasons.sorted(by: { $0.value > $1.value }).prefix(5) { lines.append("  skipped \(count)×: \(reason)") }
        if traffic.retries > 0 {
            lines.append("  \(traffic.retries) retries: \(traffic.retriesByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        }
        for note in r.notes { lines.append("  note: \(note)") }
        lines.append(String(format: "cost: $%.4f now, $%.4f for the run so far", stats.spentUSD, stats.runSpentUSD)
                     + (stats.unpricedModels.isEmpty ? "" : " (no price known for \(stats.unpricedModels.sorted().joined(separator: ", ")): counted as free; `mimic ledger --as-model gpt-4o-mini` prices it)"))
        return lines
    }
}
