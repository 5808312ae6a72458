// `mimic collect`: build an imitation set from a teacher (replay, nq-synthetic, tldr-synthetic, self-instruct).
// Each subcommand turns its flags into a `CollectConfig` and calls `Collect.run`.
import ArgumentParser
import Foundation
import MimicCore
import MimicData
import MimicStages

struct CollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Collect imitation data from a teacher model (cached, resumable, budgeted).",
        discussion: """
            Every answer is stored in a request cache as it arrives; run the same command again after Ctrl-C, a crash \
            or `kill -9` and only what is missing is sent. The output JSONL is written atomically (at checkpoints \
            and at the end). `mimic ledger` shows what was spent, or what it would have cost (`--as-model`). \
            `--config FILE.yaml` takes the keys of the written OUT.collect.json's `config`.
            """,
        subcommands: [CollectReplay.self, CollectNQ.self, CollectTLDR.self, CollectSelfInstruct.self])
}

/// Options every generator shares: the config file, the output and its sampling.
struct CollectOutput: ParsableArguments, Encodable {
    @Option(help: ArgumentHelp(
        "The teacher: local:MODEL or MODEL (a built-in name, GGUF file or model folder served by Mimic on 127.0.0.1), "
            + "or openai:MODEL[@BASE_URL] (default: local:smollm2-135m-instruct).",
        valueName: "spec"))
    var teacher: String?
    @Option(help: "A config file (YAML or JSON) with CollectConfig's keys; flags override it.") var config: String?
    @Option(name: .shortAndLong, help: "The conversation JSONL to write.") var out: String?
    @Option(help: "The run's seed: the same seed asks the same requests (default 0).") var seed: UInt64?
    @Option(help: "Teacher requests the generator keeps in flight (default 64; the teacher's --concurrency throttles too).")
    var inFlight: Int?
    @Option(help: "Seconds between checkpoint writes of the output (default 30).") var checkpoint: Double?
    @Option(help: "Sampling temperature (default: nq-synthetic 1.0, self-instruct 0.7, else the server's).") var temperature: Double?
    @Option(help: "Answer length limit in tokens (default: replay and self-instruct 1024, nq-synthetic 512, tldr-synthetic 256).")
    var maxTokens: Int?
    @Option(help: "A prompt template file (nq-synthetic, tldr-synthetic, self-instruct).") var template: String?

    /// Resolves the config (defaults, file, environment MIMIC_COLLECT_*, then the generator command's `flags`: these
    /// options and its own, named as CollectConfig's keys, and the client's) and runs it.
    func run(_ generator: CollectGenerator, client: ClientArguments, flags: some Encodable) async throws {
        let config = try ConfigResolver.resolve(CollectConfig(generator: generator), file: config,
                                                environmentPrefix: "MIMIC_COLLECT", flags: flags, except: ["config", "client", "teacher"]) { c in
            c.generator = generator
            if let teacher { c.teacher = try ModelRef(parsing: teacher) }
            client.apply(to: &c.client)
        }
        do {
            _ = try await runInterruptible { try await Collect.run(config, progress: ProgressReporter()) }
        } catch let stop as CollectStopped {
            printError(stop.localizedDescription)
            if case .interrupted = stop { throw ExitCode(130) }
            throw ExitCode.failure
        }
    }
}

struct CollectReplay: AsyncParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send the user turns of a prompt file (JSONL, plain text or ShareGPT JSON) to the teacher.")

    @OptionGroup var client: ClientArguments
    @OptionGroup var output: CollectOutput
    @Option(help: "Prompts: JSONL with messages or a prompt field, one prompt per line, or ShareGPT JSON.") var prompts: String?
    @Option(help: "auto, messages, field, text or sharegpt.") var format: PromptFileFormat?
    @Option(help: "The JSONL field holding the prompt (format field; default: prompt, instruction, question, …).")
    var field: String?
    @Option(help: "first-turn or turn-by-turn (the teacher's own earlier answers as history).") var turns: ReplayMode?
    @Option(help: "Replay only the first N conversations.") var limit: Int?
    @Option(help: "Leave out prompts whose first user turn has more than N words (before --limit).") var maxPromptWords: Int?
    @Option(help: "Which answer to each prompt to ask for: 0 the first (default); 1 a second one, cached apart from the first.")
    var sample: Int?
    @Flag(help: "Stop at the first malformed input record (by default they are counted, reported and skipped).")
    var strict = false

    func run() async throws {
        try await output.run(.replay, client: client, flags: self)
    }
}

struct CollectNQ: AsyncParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "nq-synthetic",
        abstract: "Natural-Questions-like Q/A pairs: 5 random seed pairs per request at temperature 1 until N unique pairs.")

    @OptionGroup var client: ClientArguments
    @OptionGroup var output: CollectOutput
    @Option(help: "Unique Q/A pairs wanted.") var count: Int?
    @Option(help: "Seed pairs (JSONL question/answer, or Q:/A: lines; default: the built-in ones).") var seeds: String?
    @Option(help: "Seed pairs per request (default 5).") var seedsPerRequest: Int?
    @Option(help: "Stop after this many requests (default: max(20, 2 × count)).") var maxRequests: Int?

    func run() async throws {
        try await output.run(.nqSynthetic, client: client, flags: self)
    }
}

struct CollectTLDR: AsyncParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "tldr-synthetic",
        abstract: "Summaries in the style of 2 example pairs (1 when 2 do not fit the teacher's context).")

    @OptionGroup var client: ClientArguments
    @OptionGroup var output: CollectOutput
    @Option(help: "Documents to summarise: JSONL with post/content/text/document, or one per line.") var posts: String?
    @Option(help: "Example (document, summary) pairs as JSONL (default: the built-in ones).") var examples: String?
    @Option(help: "The teacher's context length in tokens (default: the local model's, else 4096).") var contextLength: Int?
    @Option(help: "Summarise only the first N documents.") var limit: Int?

    func run() async throws {
        try await output.run(.tldrSynthetic, client: client, flags: self)
    }
}

struct CollectSelfInstruct: AsyncParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "self-instruct",
        abstract: "New instructions from seed tasks (ROUGE-L ≤ 0.7 against every earlier one), answered by the teacher.")

    @OptionGroup var client: ClientArguments
    @OptionGroup var output: CollectOutput
    @Option(help: "Instructions wanted.") var count: Int?
    @Option(help: "Seed tasks (JSONL instruction, or one per line; default: the built-in ones).") var seeds: String?
    @Option(help: "Reject an instruction whose ROUGE-L F against an existing one exceeds this (default 0.7).") var threshold: Double?

    func run() async throws {
        try await output.run(.selfInstruct, client: client, flags: self)
    }
}

extension ReplayMode: ExpressibleByArgument {}
extension PromptFileFormat: ExpressibleByArgument {}
