// `mimic data stats`, `diversity` and `leakage` as library calls: the figures of a file (statistics, self-BLEU
// diversity) and the leakage filter of evaluation prompts against training queries, each from a typed config.
import Foundation
import MimicCore
import MimicData
import MimicTokenizers

/// What `mimic data stats` is configured by.
public struct DataStatsConfig: StageConfig, Hashable {
    /// The input (conversation JSONL, ShareGPT JSON, or any layout `mimic collect replay` reads).
    public var file = ""
    /// How tokens are counted: words, gpt2 or a model (`TokenCounter.named`).
    public var tokenizer = "smollm2-135m-instruct"
    /// Also compute the self-BLEU diversity of the queries.
    public var diversity = false
    /// Stop at the first malformed record instead of skipping and reporting it.
    public var strict = false

    /// The defaults.
    public init() {}

    public func validate() throws {
        try DataStages.checkInput(file, field: "file")
    }
}

/// What `mimic data diversity` is configured by.
public struct DataDiversityConfig: StageConfig, Hashable {
    /// The conversations or prompts.
    public var file = ""
    /// Only the first N queries.
    public var limit: Int?
    /// Worker threads.
    public var threads = 2
    /// Also write each query's nearest other query and score to this JSONL file.
    public var neighbors: String?

    /// The defaults.
    public init() {}

    public func validate() throws {
        try DataStages.checkInput(file, field: "file")
        try ConfigError.requireThreads(threads)
        if let limit { try ConfigError.require(limit >= 1, "limit", "is \(limit)", hint: "at least 1") }
    }
}

/// The self-BLEU diversity of a file's queries (lower is more diverse).
public struct DataDiversitySummary: Codable, Sendable, Hashable {
    /// The file read.
    public var file: String
    /// Items read.
    public var items: Int
    /// Items with a query (a user message).
    public var queries: Int
    /// Items without one.
    public var withoutUserMessage: Int
    /// The mean of each query's best sentence BLEU against another query: the diversity figure.
    public var meanSelfBleu: Double
    /// The median of the same scores.
    public var medianSelfBleu: Double
    /// Queries whose best score is above 20.
    public var queriesAbove20: Int
    /// Seconds spent scoring.
    public var seconds: Double
    /// Worker threads.
    public var threads: Int

    enum CodingKeys: String, CodingKey {
        case file, items, queries, seconds, threads
        case withoutUserMessage = "without_user_message", meanSelfBleu = "mean_self_bleu"
        case medianSelfBleu = "median_self_bleu", queriesAbove20 = "queries_above_20"
    }

    /// The summary as a table.
    public func renderText() -> String {
        """
        file                 \(file)
        queries              \(queries) (of \(items) items; \(withoutUserMessage) without a user message)
        mean self-BLEU       \(String(format: "%.2f", meanSelfBleu))   (the diversity figure; lower = more diverse)
        median self-BLEU     \(String(format: "%.2f", medianSelfBleu))
        queries above 20     \(queriesAbove20)
        time                 \(String(format: "%.2f", seconds)) s on \(threads) thread(s)
        """
    }
}

/// What `mimic data leakage` is configured by.
public struct DataLeakageConfig: StageConfig, Hashable {
    /// Training conversations or prompts.
    public var train = ""
    /// Evaluation conversations or prompts.
    public var eval = ""
    /// Where to write the kept evaluation items (conversation JSONL).
    public var out = ""
    /// Drop prompts whose BLEU (0-100) against some training query exceeds this.
    public var threshold = Leakage.defaultThreshold
    /// Where to write each dropped prompt with its nearest training query and score (JSONL), if anywhere.
    public var report: String?
    /// Worker threads.
    public var threads = 2

    /// The defaults.
    public init() {}

    public func validate() throws {
        try DataStages.checkInput(train, field: "train")
        try DataStages.checkInput(eval, field: "eval")
        try DataStages.checkOutput(out)
        try ConfigError.require(threshold.isFinite && threshold >= 0, "threshold", "is \(threshold)", hint: "a BLEU score of 0 or more")
        try ConfigError.requireThreads(threads)
    }
}

/// What a leakage filter did; written as `OUT.leakage.json`.
public struct DataLeakageSummary: Codable, Sendable, Hashable {
    /// The resolved config.
    public var config: DataLeakageConfig
    /// Evaluation items read.
    public var items: Int
    /// Evaluation items written.
    public var kept: Int
    /// Evaluation items dropped.
    public var dropped: Int
    /// Training queries compared against.
    public var trainingQueries: Int
}

extension DataStages {
    /// The statistics of `config.file` (and, with `diversity`, its self-BLEU).
    public static func stats(_ config: DataStatsConfig, progress: ProgressReporter = .silent) throws -> DataStats {
        try config.validate()
        let counter = try TokenCounter.named(config.tokenizer)
        var stats = try DataStats.compute(URL(fileURLWithPath: config.file), tokenizer: config.tokenizer,
                                          countTokens: { counter($0) }, policy: config.strict ? .fail : .skip) {
            progress.update("read", done: $0, total: nil, unit: "records")
        }
        if config.diversity {
            let queries = try QueryFile.read(config.file).presentQueries
            stats.diversity = Diversity.selfBLEU(queries, threads: 2) {
                progress.update("diversity", done: $0, total: $1, unit: "queries")
            }.mean
        }
        progress.finish()
        return stats
    }

    /// The self-BLEU diversity of `config.file`'s queries; writes the neighbours when asked. `log` receives notes
    /// on skipped items.
    public static func diversity(_ config: DataDiversityConfig, progress: ProgressReporter = .silent,
                                 log: (String) -> Void = { _ in }) throws -> DataDiversitySummary {
        try config.validate()
        let input = try QueryFile.read(config.file, limit: config.limit)
        input.notes.forEach { log("note: " + $0) }
        let queries = input.presentQueries
        let started = Date()
        let report = Diversity.selfBLEU(queries, threads: config.threads) {
            progress.update("diversity", done: $0, total: $1, unit: "queries")
        }
        progress.finish()
        let seconds = Date().timeIntervalSince(started)
        if let path = config.neighbors {
            struct Line: Encodable { var index: Int; var query: String; var nearest: Int?; var score: Double }
            try JSONLinesWriter.write(report.neighbors.enumerated().map { Line(index: $0, query: queries[$0], nearest: $1.index, score: $1.score) },
                           to: URL(fileURLWithPath: path))
        }
        let sorted = report.neighbors.map(\.score).sorted()
        return DataDiversitySummary(file: config.file, items: input.queries.count, queries: report.count,
                                    withoutUserMessage: input.queries.count - queries.count, meanSelfBleu: report.mean,
                                    medianSelfBleu: sorted.isEmpty ? 0 : sorted[sorted.count / 2],
                                    queriesAbove20: sorted.filter { $0 > 20 }.count, seconds: seconds, threads: config.threads)
    }

    /// Drops the evaluation items whose query is too close to a training query; writes the kept items, the
    /// dropped ones (with `report`) and `OUT.leakage.json`.
    public static func leakage(_ config: DataLeakageConfig, progress: ProgressReporter = .silent,
                               log: (String) -> Void = { _ in }) throws -> DataLeakageSummary {
        try config.validate()
        let training = try QueryFile.read(config.train)
        let evaluation = try QueryFile.read(config.eval)
        (training.notes + evaluation.notes).forEach { log("note: " + $0) }
        let trainQueries = training.presentQueries
        let withQuery = evaluation.queries.indices.filter { evaluation.queries[$0] != nil }
        let result = Leakage.filter(evaluation: withQuery.compactMap { evaluation.queries[$0] }, training: trainQueries,
                                    threshold: config.threshold, threads: config.threads) {
            progress.update("leakage", done: $0, total: $1, unit: "queries")
        }
        progress.finish()
        let droppedItems = Set(result.dropped.map { withQuery[$0.evalIndex] })
        let kept = evaluation.records.indices.filter { !droppedItems.contains($0) }.map { evaluation.records[$0] }
        try ConversationJSONL.write(kept, to: URL(fileURLWithPath: config.out))
        if let path = config.report {
            try JSONLinesWriter.write(result.dropped.map { dropped in
                var item = dropped
                item.evalIndex = withQuery[dropped.evalIndex]
                return item
            }, to: URL(fileURLWithPath: path))
        }
        let summary = DataLeakageSummary(config: config, items: evaluation.records.count, kept: kept.count,
                                         dropped: result.dropped.count, trainingQueries: trainQueries.count)
        return try finish(summary, beside: config.out, step: "leakage")
    }
}
