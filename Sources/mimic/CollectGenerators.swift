// The generators of `mimic collect`: replay, nq-synthetic, tldr-synthetic and self-instruct, each a subcommand
// that parses its own inputs and hands a generator to `CollectRunner`.
import ArgumentParser
import Foundation
import MimicData
import MimicTeacher

/// Reads a template file (the paper's exact prompt, say) or returns nil for the built-in one.
private func templateText(_ path: String?) throws -> String? {
    guard let path else { return nil }
    do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
        throw ValidationError("cannot read the template \(path): \(error.localizedDescription)")
    }
}

struct CollectReplay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send the user turns of a prompt file (JSONL, plain text or ShareGPT JSON) to the teacher.")

    @OptionGroup var teacher: TeacherArguments
    @OptionGroup var output: CollectOutput
    @Option(help: "Prompts: JSONL with messages or a prompt field, one prompt per line, or ShareGPT JSON.") var prompts: String
    @Option(help: "auto, messages, field, text or sharegpt.") var format = "auto"
    @Option(help: "The JSONL field holding the prompt (format field; default: prompt, instruction, question, …).")
    var field: String?
    @Option(help: "first-turn or turn-by-turn (the teacher's own earlier answers as history).") var turns: ReplayMode = .firstTurn
    @Option(help: "Replay only the first N conversations.") var limit: Int?
    @Option(help: "Sampling temperature (default: the server's).") var temperature: Double?
    @Option(help: "Answer length limit in tokens.") var maxTokens = 1024
    @Flag(help: "Stop at the first malformed input record (by default they are counted, reported and skipped).")
    var strict = false

    func run() async throws {
        let url = URL(fileURLWithPath: prompts)
        let promptFormat: PromptFormat
        switch format {
        case "auto": promptFormat = .auto
        case "messages": promptFormat = .messagesJSONL
        case "field": promptFormat = .fieldJSONL(field)
        case "text": promptFormat = .plainText
        case "sharegpt": promptFormat = .shareGPT
        default: throw ValidationError("--format must be auto, messages, field, text or sharegpt")
        }
        var (items, readReport) = try PromptSource.read(url, format: promptFormat, policy: strict ? .fail : .skipAndReport)
        if readReport.truncated { printError("\(prompts) is cut off (\(readReport.stoppedAt ?? "at its end")); every whole record before it is used") }
        if readReport.malformed > 0 {
            printError("\(prompts): \(readReport.malformed) records skipped (--strict stops instead); first: \(readReport.problems.first ?? "")")
        }
        if let limit { items = Array(items.prefix(max(0, limit))) }
        let options = ReplayOptions(mode: turns, temperature: temperature, maxTokens: maxTokens, seed: output.seed)
        let config: [String: JSONValue] = ["prompts": .string(prompts), "turns": .string(turns.rawValue),
                                           "limit": limit.map { .int($0) } ?? .null]
        let prompts = items
        try await CollectRunner.run("replay", teacher: teacher, output: output, config: config) { t, settings, _ in
            try await ReplayGenerator(teacher: t, options: options, settings: settings).run(prompts)
        }
    }
}

extension ReplayMode: ExpressibleByArgument {}

struct CollectNQ: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nq-synthetic",
        abstract: "Natural-Questions-like Q/A pairs: 5 random seed pairs per request at temperature 1 until N unique pairs.")

    @OptionGroup var teacher: TeacherArguments
    @OptionGroup var output: CollectOutput
    @Option(help: "Unique Q/A pairs wanted.") var count: Int
    @Option(help: "Seed pairs (JSONL question/answer, or Q:/A: lines; default: the built-in ones).") var seeds: String?
    @Option(help: "A prompt template file ({examples}, or {question_1}…{answer_5}).") var template: String?
    @Option(help: "Seed pairs per request.") var seedsPerRequest = 5
    @Option(help: "Sampling temperature.") var temperature = 1.0
    @Option(help: "Answer length limit in tokens.") var maxTokens = 512
    @Option(help: "Stop after this many requests (default: max(20, 2 × count)).") var maxRequests: Int?

    func run() async throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        let seedPairs = try seeds.map { try NQSynthetic.loadSeeds(URL(fileURLWithPath: $0)) } ?? NQSynthetic.defaultSeeds
        let options = NQSyntheticOptions(
            count: count, seedsPerRequest: seedsPerRequest, temperature: temperature, maxTokens: maxTokens,
            seed: output.seed, template: try templateText(template) ?? NQSynthetic.defaultTemplate,
            templateName: template ?? "nq-synthetic/default", seedSource: seeds ?? "built-in", maxRequests: maxRequests)
        let config: [String: JSONValue] = ["count": .int(count), "seeds": .string(seeds ?? "built-in"),
                                           "template": .string(template ?? "built-in"), "temperature": .double(temperature)]
        try await CollectRunner.run("nq-synthetic", teacher: teacher, output: output, config: config) { t, settings, _ in
            try await NQSyntheticGenerator(teacher: t, options: options, settings: settings).run(seeds: seedPairs)
        }
    }
}

struct CollectTLDR: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tldr-synthetic",
        abstract: "Summaries in the style of 2 example pairs (1 when 2 do not fit the teacher's context).")

    @OptionGroup var teacher: TeacherArguments
    @OptionGroup var output: CollectOutput
    @Option(help: "Documents to summarise: JSONL with post/content/text/document, or one per line.") var posts: String
    @Option(help: "Example (document, summary) pairs as JSONL (default: the built-in ones).") var examples: String?
    @Option(help: "A prompt template file ({examples}, {document}).") var template: String?
    @Option(help: "The teacher's context length in tokens (default: the local model's, else 4096).") var contextLength: Int?
    @Option(help: "Summary length limit in tokens.") var maxTokens = 256
    @Option(help: "Sampling temperature (default: the server's).") var temperature: Double?
    @Option(help: "Summarise only the first N documents.") var limit: Int?

    func run() async throws {
        var (docs, readReport) = try PromptSource.read(URL(fileURLWithPath: posts), format: .auto, policy: .fail)
        if readReport.truncated { printError("\(posts) is cut off (\(readReport.stoppedAt ?? "at its end"))") }
        if let limit { docs = Array(docs.prefix(max(0, limit))) }
        let pairs = try examples.map { try TLDRSynthetic.loadExamples(URL(fileURLWithPath: $0)) } ?? TLDRSynthetic.defaultExamples
        let templateBody = try templateText(template)
        let config: [String: JSONValue] = ["posts": .string(posts), "examples": .string(examples ?? "built-in"),
                                           "template": .string(template ?? "built-in")]
        let seed = output.seed, maxTokens = maxTokens, temperature = temperature, contextLength = contextLength
        let documents = docs
        try await CollectRunner.run("tldr-synthetic", teacher: teacher, output: output, config: config) { t, settings, stack in
            var options = TLDRSyntheticOptions(
                contextLength: contextLength ?? stack.contextLength ?? 4096, maxTokens: maxTokens,
                temperature: temperature, seed: seed)
            if let count = stack.tokenCount { options.tokenCount = count }
            if let templateBody { options.template = templateBody; options.templateName = template ?? "custom" }
            return try await TLDRSyntheticGenerator(teacher: t, options: options, settings: settings)
                .run(posts: documents, examples: pairs)
        }
    }
}

struct CollectSelfInstruct: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "self-instruct",
        abstract: "New instructions from seed tasks (ROUGE-L ≤ 0.7 against every earlier one), answered by the teacher.")

    @OptionGroup var teacher: TeacherArguments
    @OptionGroup var output: CollectOutput
    @Option(help: "Instructions wanted.") var count: Int
    @Option(help: "Seed tasks (JSONL instruction, or one per line; default: the built-in ones).") var seeds: String?
    @Option(help: "A prompt template file.") var template: String?
    @Option(help: "Reject an instruction whose ROUGE-L F against an existing one exceeds this.") var threshold = 0.7
    @Option(help: "Sampling temperature of instruction generation.") var temperature = 0.7
    @Option(help: "Answer length limit in tokens.") var maxTokens = 1024

    func run() async throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        let tasks = try seeds.map { try SelfInstruct.loadSeeds(URL(fileURLWithPath: $0)) } ?? SelfInstruct.defaultSeeds
        var options = SelfInstructOptions(count: count, similarityThreshold: threshold, temperature: temperature,
                                          answerMaxTokens: maxTokens, seed: output.seed,
                                          seedSource: seeds ?? "built-in")
        if let body = try templateText(template) { options.template = body; options.templateName = template ?? "custom" }
        let config: [String: JSONValue] = ["count": .int(count), "seeds": .string(seeds ?? "built-in"),
                                           "threshold": .double(threshold)]
        let chosen = options
        try await CollectRunner.run("self-instruct", teacher: teacher, output: output, config: config) { t, settings, _ in
            try await SelfInstructGenerator(teacher: t, options: chosen, settings: settings).run(seeds: tasks)
        }
    }
}
