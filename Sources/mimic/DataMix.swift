// `mimic data mix`: several sources mixed by weight within a token budget (e.g. ShareGPT-Mix). The flags (over
// --config and MIMIC_DATA_MIX_*) become a `DataMixConfig`; `DataStages.mix` works.
import ArgumentParser
import Foundation
import MimicCore
import MimicData
import MimicStages

struct DataMix: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "mix",
        abstract: "Mix conversation files by weight within a token budget (a source that runs out gives all it has).")

    @Option(help: "A source and its weight, FILE:WEIGHT (repeat).") var mix: [String] = []
    @OptionGroup var config: ConfigFileOption
    @Option(help: "The total token budget.") var tokens: Int?
    @Option(help: "The conversation JSONL to write.") var out: String?
    @Option(help: "The seed (default 0).") var seed: UInt64?
    @OptionGroup var counting: TokenCounterOptions
    @Option(help: "Write the mix report (JSON) here.") var report: String?

    func run() throws {
        let resolved = try ConfigResolver.resolve(DataMixConfig(), file: config.path, environmentPrefix: "MIMIC_DATA_MIX",
                                                  flags: self, except: ["mix"]) { c in
            if !mix.isEmpty {
                c.sources = try mix.map { spec in
                    guard let source = MixSourceConfig(spec: spec) else {
                        throw ValidationError("--mix \(spec): expected FILE:WEIGHT with a positive weight")
                    }
                    return source
                }
            }
        }
        let summary = try DataStages.mix(resolved, log: printError)
        for s in summary.report.sources {
            print("\(s.name): weight \(String(format: "%.3f", s.weight)), share \(s.share), took \(s.subset.taken) "
                  + "conversations, \(s.subset.tokens) tokens" + (s.subset.exhausted ? " (ran out)" : ""))
        }
        print("wrote \(summary.kept) conversations, \(summary.report.tokens) of \(summary.report.budget) tokens, to \(resolved.out)")
    }
}
