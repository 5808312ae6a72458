// Helpers shared by the `mimic data` curation subcommands: the token counter option, reading records with
// malformed lines reported, and writing filter reports.
import ArgumentParser
import Foundation
import MimicCore
import MimicData
import MimicStages
import MimicTokenizers

/// `--tokenizer`: count tokens with `words` (the default), `gpt2`, or a model (`TokenCounter.named`, as every command).
struct TokenCounterOptions: ParsableArguments {
    @Option(help: "Count tokens with: words (default), gpt2, or a model (built-in name such as smollm2-135m-instruct, a .gguf file, a model folder, a tokenizer.json).")
    var tokenizer: String?

    func counter() throws -> TokenCounter { try TokenCounter.named(tokenizer ?? "words") }
}

/// The records of a conversation JSONL file; malformed lines are skipped and counted on standard error.
func readRecords(_ path: String) throws -> [ConversationRecord] {
    let (records, report) = try ConversationJSONL.read(URL(fileURLWithPath: path), policy: .skipAndReport)
    if report.malformed > 0 {
        printError("\(path): skipped \(report.malformed) malformed line(s)")
        for problem in report.problems.prefix(5) { printError("  \(problem)") }
    }
    return records
}
