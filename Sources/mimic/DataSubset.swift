// `mimic data subset`: a seeded subset within a token budget (nested: a larger budget contains a smaller one).
import ArgumentParser
import Foundation
import MimicTokenizers
import MimicData

struct DataSubset: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subset",
        abstract: "Take a seeded random subset of conversations within a token budget.")

    @Argument(help: "The conversation JSONL.") var input: String
    @Option(help: "The conversation JSONL to write.") var out: String
    @Option(help: "The token budget.") var tokens: Int
    @Option(help: "The seed of the random order.") var seed: UInt64 = 0
    @OptionGroup var counting: TokenCounterOptions
    @Option(help: "Write the subset report (JSON) here.") var report: String?

    func validate() throws {
        guard tokens >= 0 else { throw ValidationError("--tokens must be >= 0") }
    }

    func run() throws {
        let records = try readRecords(input)
        let (taken, result) = try Subsets.byTokens(records, budget: tokens, seed: seed, counter: try counting.counter())
        try ConversationJSONL.write(taken, to: URL(fileURLWithPath: out))
        print("took \(result.taken) of \(result.available) conversations, \(result.tokens) of \(result.budget) \(result.counter == "words" ? "words" : "tokens") budgeted (\(result.availableTokens) available)"
              + (result.exhausted ? "; every conversation fits" : ""))
        try writeJSON(result, to: report)
    }
}
