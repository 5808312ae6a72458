// `mimic data filter`: length bounds in tokens and the coding-prompt filter. The flags (over --config and
// MIMIC_DATA_FILTER_*) become a `DataFilterConfig`; `DataStages.filter` works.
import ArgumentParser
import Foundation
import MimicCore
import MimicData
import MimicStages

extension LengthFilter.Scope: ExpressibleByArgument {}

struct DataFilter: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "filter",
        abstract: "Keep conversations within token bounds and (with --drop-code) drop coding prompts.")

    @Argument(help: "The conversation JSONL to filter.") var input: String?
    @OptionGroup var config: ConfigFileOption
    @Option(help: "The conversation JSONL to write.") var out: String?
    @Option(name: .customLong("min-tokens"), help: "Drop conversations with fewer tokens.") var minTokens: Int?
    @Option(name: .customLong("max-tokens"), help: "Drop conversations with more tokens.") var maxTokens: Int?
    @Option(name: .customLong("length-of"), help: "What the bounds count: conversation (all turns, the default) or query.")
    var lengthOf: LengthFilter.Scope?
    @Flag(name: .customLong("drop-code"), help: "Drop conversations whose query is a coding prompt (by rules).") var dropCode = false
    @OptionGroup var tokens: TokenCounterOptions
    @Option(help: "Write the removal report (JSON) here.") var report: String?

    func run() throws {
        let resolved = try ConfigResolver.resolve(DataFilterConfig(), file: config.path, environmentPrefix: "MIMIC_DATA_FILTER",
                                                  flags: self)
        let summary = try DataStages.filter(resolved, log: printError)
        for r in summary.reports { print(r.summary) }
        print("wrote \(summary.kept) records to \(resolved.out)")
    }
}
