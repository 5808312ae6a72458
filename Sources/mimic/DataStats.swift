// `mimic data stats`: counts, turns, tokens, languages, a length histogram, the query duplicate rate and a
// category breakdown of a conversation file, as a table or JSON.
import ArgumentParser
import Foundation
import MimicCore
import MimicData
import MimicStages
import MimicTokenizers

struct DataStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Statistics of a conversation file: counts, turns, tokens, languages, duplicates, categories.",
        discussion: """
            Reads conversation JSONL, ShareGPT JSON (a cut-off file up to its last whole conversation) or any layout \
            `mimic collect replay` reads, in one streaming pass. Tokens are counted on message contents (no chat \
            template) with --tokenizer: smollm2-135m-instruct (the built-in model's BPE), gpt2 (gpt2.tiktoken in the \
            cache folder) or words (whitespace-separated words).
            """)

    @Argument(help: "The input file.") var file: String
    @Flag(help: "Print JSON instead of a table.") var json = false
    @Option(help: "How to count tokens: words, gpt2, or a model (built-in name, .gguf file, model folder, tokenizer.json).")
    var tokenizer = "smollm2-135m-instruct"
    @Flag(help: "Also compute the paper's self-BLEU diversity of the queries (as `mimic data diversity` does).")
    var diversity = false
    @Flag(help: "Stop at the first malformed record instead of skipping and reporting it.") var strict = false

    func run() throws {
        let counter = try Self.tokenCounter(tokenizer)
        let progress = ProgressReporter()
        var stats = try DataStats.compute(URL(fileURLWithPath: file), tokenizer: tokenizer, countTokens: counter,
                                          policy: strict ? .fail : .skipAndReport) { progress.update("read", done: $0, total: nil, unit: "records") }
        progress.finish()
        if diversity {
            let input = try BLEUQueryFile.read(file, limit: nil)
            let queries = input.queries.compactMap { $0 }
            let bar = ProgressReporter()
            stats.diversity = Diversity.selfBLEU(queries, threads: 2) { done, total in bar.update("diversity", done: done, total: total, unit: "queries") }.mean
            bar.finish()
        }
        if json {
            print(String(decoding: try stats.jsonData(), as: UTF8.self))
        } else {
            print(stats.renderText())
        }
    }

    /// A token counter for `name` (`TokenCounter.named`: words, gpt2 or a model, as every `--tokenizer`).
    static func tokenCounter(_ name: String) throws -> (String) -> Int {
        let counter = try TokenCounter.named(name)
        return { counter($0) }
    }
}
