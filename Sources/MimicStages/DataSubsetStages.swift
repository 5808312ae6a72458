// `mimic data subset` and `mimic data split` as library calls: a typed `StageConfig` in, the records written and a
// typed summary out (also written beside the output as OUT.subset.json / TRAIN.split.json, loadable by --config).
import Foundation
import MimicCore
import MimicData
import MimicTokenizers

/// What `mimic data subset` is configured by.
public struct DataSubsetConfig: StageConfig, Hashable {
    /// The conversation JSONL to read.
    public var input = ""
    /// The conversation JSONL to write.
    public var out = ""
    /// The token budget.
    public var tokens = 0
    /// The seed of the random order.
    public var seed: UInt64 = 0
    /// How tokens are counted: words, gpt2 or a model (`TokenCounter.named`).
    public var tokenizer = "words"

    /// The defaults.
    public init() {}

    /// Checks every field; throws `ConfigError` naming the first bad one.
    public func validate() throws {
        try DataStages.checkInput(input, field: "input")
        try ConfigError.require(!out.isEmpty, "out", "is empty", hint: "name the conversation JSONL to write")
        try ConfigError.require(tokens >= 0, "tokens", "is \(tokens)", hint: "a token budget of 0 or more")
    }
}

/// What a subset did; written as `OUT.subset.json`.
public struct DataSubsetSummary: Codable, Sendable, Hashable {
    /// The resolved config.
    public var config: DataSubsetConfig
    /// The records and tokens taken.
    public var report: SubsetReport
    /// Malformed input lines skipped.
    public var malformed: Int
}

/// What `mimic data split` is configured by.
public struct DataSplitConfig: StageConfig, Hashable {
    /// The conversation JSONL to read.
    public var input = ""
    /// The train JSONL to write.
    public var train = ""
    /// The held-out JSONL to write.
    public var heldOut = ""
    /// The held-out fraction (0...1); give this or `count`.
    public var fraction: Double?
    /// The held-out count; give this or `fraction`.
    public var count: Int?
    /// The seed.
    public var seed: UInt64 = 0

    /// The defaults.
    public init() {}

    /// Checks every field; throws `ConfigError` naming the first bad one.
    public func validate() throws {
        try DataStages.checkInput(input, field: "input")
        try ConfigError.require(!train.isEmpty, "train", "is empty", hint: "name the train JSONL to write")
        try ConfigError.require(!heldOut.isEmpty, "held_out", "is empty", hint: "name the held-out JSONL to write")
        try ConfigError.require((fraction == nil) != (count == nil), "fraction", "and count are both \(fraction == nil ? "missing" : "given")",
                                hint: "give exactly one of fraction or count")
        if let fraction { try ConfigError.require((0...1).contains(fraction), "fraction", "is \(fraction)", hint: "a fraction from 0 to 1") }
        if let count { try ConfigError.require(count >= 0, "count", "is \(count)", hint: "0 or more") }
    }
}

/// What a split did; written as `TRAIN.split.json`.
public struct DataSplitSummary: Codable, Sendable, Hashable {
    /// The resolved config.
    public var config: DataSplitConfig
    /// Records read.
    public var records: Int
    /// Records written to `train`.
    public var train: Int
    /// Records written to `held_out`.
    public var heldOut: Int
    /// Malformed input lines skipped.
    public var malformed: Int
}

/// The `mimic data` steps as library calls.
public enum DataStages {
    /// Takes a seeded subset of `config.input` within its token budget (`Subsets.byTokens`), writes it and
    /// `OUT.subset.json`; `log` receives notes on malformed lines.
    public static func subset(_ config: DataSubsetConfig, log: (String) -> Void = { _ in }) throws -> DataSubsetSummary {
        try config.validate()
        let (records, read) = try readRecords(config.input, log: log)
        let counter = try TokenCounter.named(config.tokenizer)
        let (taken, report) = try Subsets.byTokens(records, budget: config.tokens, seed: config.seed, counter: counter)
        try ConversationJSONL.write(taken, to: URL(fileURLWithPath: config.out))
        let summary = DataSubsetSummary(config: config, report: report, malformed: read.malformed)
        try ConfigResolver.write(summary, to: config.out + ".subset.json")
        return summary
    }

    /// Splits `config.input` into train and held-out files (`Subsets.split`, the one split `mimic train` uses),
    /// writes both and `TRAIN.split.json`.
    public static func split(_ config: DataSplitConfig, log: (String) -> Void = { _ in }) throws -> DataSplitSummary {
        try config.validate()
        let (records, read) = try readRecords(config.input, log: log)
        let size: HeldOutSize = config.fraction.map { .fraction($0) } ?? .count(config.count ?? 0)
        let (train, held) = try Subsets.split(records, heldOut: size, seed: config.seed)
        try ConversationJSONL.write(train, to: URL(fileURLWithPath: config.train))
        try ConversationJSONL.write(held, to: URL(fileURLWithPath: config.heldOut))
        let summary = DataSplitSummary(config: config, records: records.count, train: train.count, heldOut: held.count,
                                       malformed: read.malformed)
        try ConfigResolver.write(summary, to: config.train + ".split.json")
        return summary
    }

    /// The records of a conversation JSONL file; malformed lines are skipped and the first few sent to `log`.
    public static func readRecords(_ path: String, log: (String) -> Void) throws -> ([ConversationRecord], LineReadReport) {
        let (records, report) = try ConversationJSONL.read(URL(fileURLWithPath: path), policy: .skip)
        if report.malformed > 0 {
            log("\(path): skipped \(report.malformed) malformed line(s)")
            for problem in report.problems.prefix(5) { log("  \(problem)") }
        }
        return (records, report)
    }

    /// Throws `ConfigError` for `field` unless `path` names an existing file.
    static func checkInput(_ path: String, field: String) throws { try ConfigError.requireFile(path, field) }
}
