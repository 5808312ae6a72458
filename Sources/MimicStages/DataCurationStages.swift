// `mimic data import`, `language`, `filter` and `mix` as library calls: a typed `StageConfig` in, the conversation
// JSONL written and a typed summary out (also written beside the output as OUT.<step>.json, loadable by --config).
import Foundation
import MimicCore
import MimicData
import MimicTokenizers

/// What `mimic data import` is configured by.
public struct DataImportConfig: StageConfig, Hashable {
    /// The input's format.
    public var format: ImportFormat?
    /// The file to import.
    public var input = ""
    /// The conversation JSONL to write.
    public var out = ""
    /// Convert HTML in message text to Markdown (ShareGPT dumps).
    public var htmlToMarkdown = false
    /// Stop after this many records.
    public var limit: Int?
    /// prompts-jsonl: the text field (nil: the first of `PromptSource.defaultFields`).
    public var field: String?
    /// hc3: one conversation per ChatGPT answer (all) or the first only.
    public var hc3Answers = ImportOptions.HC3Answers.all
    /// Conversations that begin with the assistant: keep, trim (the turns before the first user turn) or drop.
    public var leadingAssistant = ImportOptions.LeadingAssistant.keep
    /// Where to write the import report (JSON), if anywhere.
    public var report: String?

    /// The defaults.
    public init() {}

    public func validate() throws {
        try ConfigError.require(format != nil, "format", "is missing", hint: "one of \(ImportFormat.choices)")
        try DataStages.checkInput(input, field: "input")
        try DataStages.checkOutput(out)
        if let limit { try ConfigError.require(limit >= 0, "limit", "is \(limit)", hint: "0 or more") }
    }
}

/// What an import did; written as `OUT.import.json`.
public struct DataImportSummary: Codable, Sendable, Hashable {
    /// The resolved config.
    public var config: DataImportConfig
    /// Items read, records written, what was skipped and where the file ended.
    public var report: ImportReport
}

/// What `mimic data language` is configured by.
public struct DataLanguageConfig: StageConfig, Hashable {
    /// The input (conversation JSONL, ShareGPT JSON, messages JSONL, …).
    public var input = ""
    /// The conversation JSONL to write.
    public var out = ""
    /// The CLD2 language codes to keep.
    public var keep = ["en"]
    /// Which turns are classified.
    public var scope = LanguageScope.user
    /// Remove the conversations CLD2 cannot classify.
    public var dropUnknown = false
    /// Where to write the report (JSON), if anywhere.
    public var report: String?
    /// Stop at the first malformed record instead of skipping and reporting it.
    public var strict = false

    /// The defaults.
    public init() {}

    /// The codes to keep: `keep` split at commas, trimmed.
    public var codes: Set<String> {
        Set(keep.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    public func validate() throws {
        try DataStages.checkInput(input, field: "input")
        try DataStages.checkOutput(out)
        try ConfigError.require(!codes.isEmpty, "keep", "is empty", hint: "at least one language code, e.g. en")
        for code in codes.sorted() where LanguageID.name(ofCode: code) == "Unknown" {
            throw ConfigError(field: "keep", problem: "CLD2 does not know the language code \(code)",
                              hint: "try en, fr, de, es, zh, ja, ko, ru")
        }
    }
}

/// What a language filter did; written as `OUT.language.json`.
public struct DataLanguageSummary: Codable, Sendable, Hashable {
    /// The resolved config.
    public var config: DataLanguageConfig
    /// Counts per language, removals with reasons, examples.
    public var report: LanguageFilterReport
}

/// What `mimic data filter` is configured by.
public struct DataFilterConfig: StageConfig, Hashable {
    /// The conversation JSONL to read.
    public var input = ""
    /// The conversation JSONL to write.
    public var out = ""
    /// Drop conversations with fewer tokens.
    public var minTokens: Int?
    /// Drop conversations with more tokens.
    public var maxTokens: Int?
    /// What the bounds count: the conversation (all turns) or the query.
    public var lengthOf = LengthFilter.Scope.conversation
    /// Drop conversations whose query is a coding prompt (by rules).
    public var dropCode = false
    /// How tokens are counted: words, gpt2 or a model (`TokenCounter.named`).
    public var tokenizer = "words"
    /// Where to write the removal report (JSON), if anywhere.
    public var report: String?

    /// The defaults.
    public init() {}

    public func validate() throws {
        try DataStages.checkInput(input, field: "input")
        try DataStages.checkOutput(out)
        if let minTokens { try ConfigError.require(minTokens >= 0, "min_tokens", "is \(minTokens)", hint: "0 or more") }
        if let minTokens, let maxTokens {
            try ConfigError.require(maxTokens >= minTokens, "max_tokens", "is below min_tokens (\(maxTokens) < \(minTokens))")
        }
    }
}

/// What a filter did; written as `OUT.filter.json`.
public struct DataFilterSummary: Codable, Sendable, Hashable {
    /// The resolved config.
    public var config: DataFilterConfig
    /// One report per filter run (length, then coding prompts).
    public var reports: [FilterReport]
    /// Records written.
    public var kept: Int
}

/// One source of a mix: a conversation file and its weight.
public struct MixSourceConfig: Codable, Sendable, Hashable {
    /// The conversation JSONL.
    public var file = ""
    /// Its weight (relative; the shares are weight / sum of weights).
    public var weight = 1.0

    /// An empty source (name its file).
    public init() {}

    /// Parses `FILE:WEIGHT` (the command line's `--mix`); nil when it is not that or the weight is not positive.
    public init?(spec: String) {
        guard let colon = spec.lastIndex(of: ":"), let weight = Double(spec[spec.index(after: colon)...]),
              weight > 0, weight.isFinite else { return nil }
        file = String(spec[..<colon])
        self.weight = weight
    }
}

/// What `mimic data mix` is configured by.
public struct DataMixConfig: StageConfig, Hashable {
    /// The sources and their weights.
    public var sources: [MixSourceConfig] = []
    /// The total token budget.
    public var tokens: Int?
    /// The conversation JSONL to write.
    public var out = ""
    /// The seed.
    public var seed: UInt64 = 0
    /// How tokens are counted: words, gpt2 or a model (`TokenCounter.named`).
    public var tokenizer = "words"
    /// Where to write the mix report (JSON), if anywhere.
    public var report: String?

    /// The defaults.
    public init() {}

    public func validate() throws {
        try ConfigError.require(!sources.isEmpty, "sources", "is empty", hint: "give at least one source FILE:WEIGHT")
        for (i, source) in sources.enumerated() {
            try DataStages.checkInput(source.file, field: "sources[\(i)].file")
            try ConfigError.require(source.weight > 0 && source.weight.isFinite, "sources[\(i)].weight",
                                    "is \(source.weight)", hint: "a positive weight")
        }
        guard let tokens else { throw ConfigError(field: "tokens", problem: "is missing", hint: "give the total token budget") }
        try ConfigError.require(tokens >= 0, "tokens", "is \(tokens)", hint: "a token budget of 0 or more")
        try DataStages.checkOutput(out)
    }
}

/// What a mix did; written as `OUT.mix.json`.
public struct DataMixSummary: Codable, Sendable, Hashable {
    /// The resolved config.
    public var config: DataMixConfig
    /// The budget, the tokens taken and each source's share.
    public var report: MixReport
    /// Records written.
    public var kept: Int
}

extension DataStages {
    /// Imports `config.input` into conversation JSONL; writes `OUT.import.json` and the report when asked.
    public static func importData(_ config: DataImportConfig) throws -> DataImportSummary {
        try config.validate()
        let options = ImportOptions(htmlToMarkdown: config.htmlToMarkdown, limit: config.limit, field: config.field,
                                    hc3Answers: config.hc3Answers, leadingAssistant: config.leadingAssistant)
        let report = try Importer.importFile(URL(fileURLWithPath: config.input), format: config.format ?? .messages,
                                             to: URL(fileURLWithPath: config.out), options: options)
        if let path = config.report { try AtomicFile.writeJSON(report, to: path) }
        return try finish(DataImportSummary(config: config, report: report), beside: config.out, step: "import")
    }

    /// Keeps the conversations of `config.input` in the chosen languages (CLD2); writes the output, `OUT.language.json`
    /// and the report when asked.
    public static func language(_ config: DataLanguageConfig, progress: ProgressReporter = .silent) throws -> DataLanguageSummary {
        try config.validate()
        let filter = LanguageFilter(keep: config.codes, scope: config.scope, keepUnknown: !config.dropUnknown)
        let report = try filter.run(input: URL(fileURLWithPath: config.input), output: URL(fileURLWithPath: config.out),
                                    policy: config.strict ? .fail : .skip) {
            progress.update("classified", done: $0, total: nil, unit: "records")
        }
        progress.finish()
        if let path = config.report { try AtomicFile.writeJSON(report, to: path) }
        return try finish(DataLanguageSummary(config: config, report: report), beside: config.out, step: "language")
    }

    /// Keeps the conversations of `config.input` within the token bounds and (with `dropCode`) without coding
    /// prompts; writes the output, `OUT.filter.json` and the removal report when asked.
    public static func filter(_ config: DataFilterConfig, log: (String) -> Void = { _ in }) throws -> DataFilterSummary {
        try config.validate()
        var records = try readRecords(config.input, log: log).0
        var reports: [FilterReport] = []
        if config.minTokens != nil || config.maxTokens != nil {
            let result = LengthFilter.run(records, minTokens: config.minTokens, maxTokens: config.maxTokens,
                                          scope: config.lengthOf, counter: try TokenCounter.named(config.tokenizer))
            records = result.kept
            reports.append(result.report)
        }
        if config.dropCode {
            let result = CodingPromptFilter.run(records)
            records = result.kept
            reports.append(result.report)
        }
        try ConversationJSONL.write(records, to: URL(fileURLWithPath: config.out))
        if let path = config.report { try FilterReport.write(reports, to: path) }
        return try finish(DataFilterSummary(config: config, reports: reports, kept: records.count), beside: config.out, step: "filter")
    }

    /// Mixes the sources by weight within the token budget (`Subsets.mix`); writes the output, `OUT.mix.json` and
    /// the report when asked.
    public static func mix(_ config: DataMixConfig, log: (String) -> Void = { _ in }) throws -> DataMixSummary {
        try config.validate()
        let sources = try config.sources.map {
            MixSource(name: $0.file, records: try readRecords($0.file, log: log).0, weight: $0.weight)
        }
        let (mixed, report) = try Subsets.mix(sources, budget: config.tokens ?? 0, seed: config.seed,
                                              counter: try TokenCounter.named(config.tokenizer))
        try ConversationJSONL.write(mixed, to: URL(fileURLWithPath: config.out))
        if let path = config.report { try AtomicFile.writeJSON(report, to: path) }
        return try finish(DataMixSummary(config: config, report: report, kept: mixed.count), beside: config.out, step: "mix")
    }

    /// Writes `summary` beside `output` as `OUTPUT.<step>.json` and returns it.
    static func finish<S: Encodable>(_ summary: S, beside output: String, step: String) throws -> S {
        try ConfigResolver.write(summary, to: output + "." + step + ".json")
        return summary
    }

    /// Throws `ConfigError` for `field` when `path` is empty.
    static func checkOutput(_ path: String, field: String = "out") throws {
        try ConfigError.require(!path.isEmpty, field, "is empty", hint: "name the conversation JSONL to write")
    }
}
