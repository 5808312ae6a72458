// `mimic data mix`: several sources mixed by weight within a token budget (e.g. ShareGPT-Mix).
import ArgumentParser
import Foundation
import MimicCore
import MimicTokenizers
import MimicData
import MimicStages

struct DataMix: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mix",
        abstract: "Mix conversation files by weight within a token budget (a source that runs out gives all it has).")

    @Option(help: "A source and its weight, FILE:WEIGHT (repeat).") var mix: [String]
    @Option(help: "The total token budget.") var tokens: Int
    @Option(help: "The conversation JSONL to write.") var out: String
    @Option(help: "The seed.") var seed: UInt64 = 0
    @OptionGroup var counting: TokenCounterOptions
    @Option(help: "Write the mix report (JSON) here.") var report: String?

    func parsed() throws -> [(String, Double)] {
        try mix.map { spec in
            guard let colon = spec.lastIndex(of: ":"), let weight = Double(spec[spec.index(after: colon)...]),
                  weight > 0, weight.isFinite else {
                throw ValidationError("--mix \(spec): expected FILE:WEIGHT with a positive weight")
            }
            return (String(spec[..<colon]), weight)
        }
    }

    func validate() throws {
        guard !mix.isEmpty else { throw ValidationError("give at least one --mix FILE:WEIGHT") }
        guard tokens >= 0 else { throw ValidationError("--tokens must be >= 0") }
        _ = try parsed()
    }

    func run() throws {
        let sources = try parsed().map { MixSource(name: $0.0, records: try DataStages.readRecords($0.0, log: printError).0, weight: $0.1) }
        let (mixed, result) = try Subsets.mix(sources, budget: tokens, seed: seed, counter: try counting.counter())
        try ConversationJSONL.write(mixed, to: URL(fileURLWithPath: out))
        for s in result.sources {
            print("\(s.name): weight \(String(format: "%.3f", s.weight)), share \(s.share), took \(s.subset.taken) "
                  + "conversations, \(s.subset.tokens) tokens" + (s.subset.exhausted ? " (ran out)" : ""))
        }
        print("wrote \(mixed.count) conversations, \(result.tokens) of \(result.budget) tokens, to \(out)")
        if let report { try AtomicFile.writeJSON(result, to: report) }
    }
}
