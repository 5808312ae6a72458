// `mimic data filter`: length bounds in tokens and the coding-prompt filter.
import ArgumentParser
import Foundation
import MimicCore
import MimicTokenizers
import MimicData
import MimicStages

extension LengthFilter.Scope: ExpressibleByArgument {}

struct DataFilter: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filter",
        abstract: "Keep conversations within token bounds and (with --drop-code) drop coding prompts.")

    @Argument(help: "The conversation JSONL to filter.") var input: String
    @Option(help: "The conversation JSONL to write.") var out: String
    @Option(name: .customLong("min-tokens"), help: "Drop conversations with fewer tokens.") var minTokens: Int?
    @Option(name: .customLong("max-tokens"), help: "Drop conversations with more tokens.") var maxTokens: Int?
    @Option(name: .customLong("length-of"), help: "What the bounds count: conversation (all turns) or query.")
    var lengthOf: LengthFilter.Scope = .conversation
    @Flag(name: .customLong("drop-code"), help: "Drop conversations whose query is a coding prompt (by rules).") var dropCode = false
    @OptionGroup var tokens: TokenCounterOptions
    @Option(help: "Write the removal report (JSON) here.") var report: String?

    func validate() throws {
        if let minTokens, minTokens < 0 { throw ValidationError("--min-tokens must be >= 0") }
        if let minTokens, let maxTokens, maxTokens < minTokens { throw ValidationError("--max-tokens is below --min-tokens") }
    }

    func run() throws {
        var records = try DataStages.readRecords(input, log: printError).0
        var reports: [FilterReport] = []
        if minTokens != nil || maxTokens != nil {
            let result = LengthFilter.run(records, minTokens: minTokens, maxTokens: maxTokens, scope: lengthOf,
                                          counter: try tokens.counter())
            records = result.kept
            reports.append(result.report)
        }
        if dropCode {
            let result = CodingPromptFilter.run(records)
            records = result.kept
            reports.append(result.report)
        }
        try ConversationJSONL.write(records, to: URL(fileURLWithPath: out))
        for r in reports { print(r.summary) }
        print("wrote \(records.count) records to \(out)")
        if let report { try FilterReport.write(reports, to: report) }
    }
}
