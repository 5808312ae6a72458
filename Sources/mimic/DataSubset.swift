// `mimic data subset`: a seeded subset within a token budget (nested: a larger budget contains a smaller one). The
// flags (over `--config`, MIMIC_DATA_SUBSET_* and the defaults) become a `DataSubsetConfig`; `DataStages.subset` works.
import ArgumentParser
import Foundation
import MimicCore
import MimicData
import MimicStages

struct DataSubset: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "subset",
        abstract: "Take a seeded random subset of conversations within a token budget.")

    @Argument(help: "The conversation JSONL.") var input: String?
    @OptionGroup var config: ConfigFileOption
    @Option(help: "The conversation JSONL to write.") var out: String?
    @Option(help: "The token budget.") var tokens: Int?
    @Option(help: "The seed of the random order (default 0).") var seed: UInt64?
    @Option(help: "Count tokens with: words (default), gpt2, or a model (built-in name, .gguf file, model folder, tokenizer.json).")
    var tokenizer: String?
    @Option(help: "Also write the subset report (JSON) here.") var report: String?

    /// The config: defaults, then the file, MIMIC_DATA_SUBSET_*, then these flags.
    func resolved() throws -> DataSubsetConfig {
        try ConfigResolver.resolve(DataSubsetConfig(), file: config.path, environmentPrefix: "MIMIC_DATA_SUBSET", flags: self,
                                   except: ["report"])
    }

    func run() throws {
        let summary = try DataStages.subset(try resolved(), log: printError)
        let result = summary.report
        print("took \(result.taken) of \(result.available) conversations, \(result.tokens) of \(result.budget) \(result.counter == "words" ? "words" : "tokens") budgeted (\(result.availableTokens) available)"
              + (result.exhausted ? "; every conversation fits" : ""))
        if let report { try AtomicFile.writeJSON(result, to: report) }
    }
}
