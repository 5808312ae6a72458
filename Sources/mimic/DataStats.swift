// `mimic data stats`: counts, turns, tokens, languages, a length histogram, the query duplicate rate and a
// category breakdown of a conversation file, as a table or JSON. The flags (over --config and MIMIC_DATA_STATS_*)
// become a `DataStatsConfig`; `DataStages.stats` works.
import ArgumentParser
import Foundation
import MimicCore
import MimicData
import MimicStages

struct DataStatsCommand: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Statistics of a conversation file: counts, turns, tokens, languages, duplicates, categories.",
        discussion: """
            Reads conversation JSONL, ShareGPT JSON (a cut-off file up to its last whole conversation) or any layout \
            `mimic collect replay` reads, in one streaming pass. Tokens are counted on message contents (no chat \
            template) with --tokenizer: smollm2-135m-instruct (the built-in model's BPE), gpt2 (gpt2.tiktoken in the \
            cache folder) or words (whitespace-separated words).
            """)

    @Argument(help: "The input file.") var file: String?
    @OptionGroup var config: ConfigFileOption
    @Flag(help: "Print JSON instead of a table.") var json = false
    @Option(help: "How to count tokens: words, gpt2, or a model (built-in name, .gguf file, model folder, tokenizer.json; default smollm2-135m-instruct).")
    var tokenizer: String?
    @Flag(help: "Also compute the paper's self-BLEU diversity of the queries (as `mimic data diversity` does).")
    var diversity = false
    @Flag(help: "Stop at the first malformed record instead of skipping and reporting it.") var strict = false

    func run() throws {
        let resolved = try ConfigResolver.resolve(DataStatsConfig(), file: config.path, environmentPrefix: "MIMIC_DATA_STATS",
                                                  flags: self, except: ["json"])
        let stats = try DataStages.stats(resolved, progress: ProgressReporter())
        print(json ? String(decoding: try stats.jsonData(), as: UTF8.self) : stats.renderText())
    }
}
