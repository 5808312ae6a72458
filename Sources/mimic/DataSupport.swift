// Helpers shared by the `mimic data` curation subcommands: the token counter option, reading records with
// malformed lines reported, and writing filter reports.
import ArgumentParser
import Foundation
import MimicCore
import MimicData
import MimicModels
import MimicTokenizers

/// `--tokenizer`: count tokens with a model's tokenizer instead of words.
struct TokenCounterOptions: ParsableArguments {
    @Option(help: "Count tokens with this tokenizer: a .gguf file, a built-in model name (smollm2-135m-instruct), a model folder or a tokenizer.json. Default: white-space separated words.")
    var tokenizer: String?

    func counter() throws -> TokenCounter {
        guard let tokenizer else { return .words }
        let path = try ModelCache.resolve(tokenizer)
        var isDir: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
        let loaded: BPETokenizer
        if isDir.boolValue || path.hasSuffix(".json") {
            let json = isDir.boolValue ? path + "/tokenizer.json" : path
            loaded = try BPETokenizer(tokenizerJSON: URL(fileURLWithPath: json), config: nil)
        } else {
            loaded = try GGUFFile(path: path).tokenizer()
        }
        return .tokenizer(loaded, name: path)
    }
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

/// Writes `reports` as JSON (one object, or an array for several) to `path` atomically.
func writeReports(_ reports: [FilterReport], to path: String?) throws {
    guard let path else { return }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = reports.count == 1 ? try encoder.encode(reports[0]) : try encoder.encode(reports)
    try AtomicFile.write(data, to: URL(fileURLWithPath: path))
}

/// Writes `value` as pretty JSON to `path` atomically.
func writeJSON<T: Encodable>(_ value: T, to path: String?) throws {
    guard let path else { return }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    try AtomicFile.write(try encoder.encode(value), to: URL(fileURLWithPath: path))
}
