// `mimic data dedup` as a library call: exact query-level de-duplication, then (with `near`) MinHash/LSH
// near-duplicate removal; a typed `StageConfig` in, the kept records and a `DataDedupSummary` out (also written
// beside the output as OUT.dedup.json, loadable by --config).
import Foundation
import MimicCore
import MimicData

/// What `mimic data dedup` is configured by.
public struct DataDedupConfig: StageConfig, Hashable {
    /// The conversation JSONL to read.
    public var input = ""
    /// The conversation JSONL to write.
    public var out = ""
    /// Also remove near-duplicates: pairs whose shingle Jaccard is at least this (nil: exact only).
    public var near: Double?
    /// Shingles: char5 (5-character runs) or word3 (3-word runs), any n.
    public var shingles = "char5"
    /// MinHash permutations.
    public var permutations = 128
    /// What to compare: the query (first user message) or the whole conversation.
    public var scope = NearDedupOptions.Scope.query
    /// Seed of the MinHash functions.
    public var seed: UInt64 = 1
    /// Fixed LSH bands (with `rows`); nil: chosen from the threshold.
    public var bands: Int?
    /// Fixed LSH rows per band (with `bands`).
    public var rows: Int?
    /// Threads for the MinHash signatures (nil: every core).
    public var threads: Int?
    /// Run the exact pass first.
    public var exact = true
    /// Where to write the removal report (JSON), if anywhere.
    public var report: String?

    /// The defaults.
    public init() {}

    public func validate() throws {
        try DataStages.checkInput(input, field: "input")
        try ConfigError.require(!out.isEmpty, "out", "is empty", hint: "name the conversation JSONL to write")
        if let near { try ConfigError.require(near > 0 && near <= 1, "near", "is \(near)", hint: "a Jaccard threshold in (0, 1]") }
        try ConfigError.require(Shingling(name: shingles) != nil, "shingles", "is \(shingles)", hint: "char5, word3 or another charN / wordN")
        try ConfigError.require(permutations > 0, "permutations", "must be more than 0")
        try ConfigError.requireThreads(threads)
        try ConfigError.require((bands == nil) == (rows == nil), "bands", "and rows go together", hint: "give both or neither")
        if let bands, let rows {
            try ConfigError.require(bands >= 1 && rows >= 1 && bands * rows <= permutations, "bands",
                                    "× rows must be between 1 and permutations")
        }
    }
}

/// What a de-duplication did; written as `OUT.dedup.json`.
public struct DataDedupSummary: Codable, Sendable, Hashable {
    /// The resolved config.
    public var config: DataDedupConfig
    /// One report per pass (exact, then minhash), with what each removed and why.
    public var reports: [FilterReport]
    /// Records written.
    public var kept: Int
    /// Seconds spent reading the input, and in all.
    public var readSeconds: Double
    /// Seconds in all.
    public var totalSeconds: Double
}

extension DataStages {
    /// De-duplicates `config.input` into `config.out`; writes `OUT.dedup.json` and the removal report when asked.
    public static func dedup(_ config: DataDedupConfig, log: (String) -> Void = { _ in }) throws -> DataDedupSummary {
        try config.validate()
        let start = Date()
        var (records, _) = try readRecords(config.input, log: log)
        let readSeconds = Date().timeIntervalSince(start)
        var reports: [FilterReport] = []
        if config.exact {
            let exact = ExactDedup.run(records)
            records = exact.kept
            reports.append(exact.report)
        }
        if let near = config.near {
            var options = NearDedupOptions(threshold: near, permutations: config.permutations, seed: config.seed,
                                           scope: config.scope, threads: config.threads)
            options.shingling = Shingling(name: config.shingles) ?? .characters(5)
            if let bands = config.bands, let rows = config.rows { options.lsh = LSHParameters(bands: bands, rows: rows) }
            let result = NearDedup.run(records, options: options)
            records = result.kept
            reports.append(result.report)
        }
        try ConversationJSONL.write(records, to: URL(fileURLWithPath: config.out))
        if let path = config.report { try FilterReport.write(reports, to: path) }
        let summary = DataDedupSummary(config: config, reports: reports, kept: records.count, readSeconds: readSeconds,
                                       totalSeconds: Date().timeIntervalSince(start))
        try ConfigResolver.write(summary, to: config.out + ".dedup.json")
        return summary
    }
}
