// `mimic data import`: a public dataset (ShareGPT, HC3, Alpaca, messages JSONL, prompt lists) to conversation JSONL.
import ArgumentParser
import Foundation
import MimicCore
import MimicData

extension ImportFormat: ExpressibleByArgument {}
extension ImportOptions.HC3Answers: ExpressibleByArgument {}

struct DataImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a dataset into conversation JSONL (malformed records are skipped and reported by position).")

    @Argument(help: "Input format: \(ImportFormat.allCases.map(\.rawValue).joined(separator: ", ")).") var format: ImportFormat
    @Argument(help: "The input file.") var input: String
    @Option(help: "The conversation JSONL to write.") var out: String
    @Flag(name: .customLong("html-to-markdown"), help: "Convert HTML in message text to Markdown (ShareGPT dumps).")
    var htmlToMarkdown = false
    @Option(help: "Stop after this many records.") var limit: Int?
    @Option(help: "prompts-jsonl: the text field (default: the first of \(PromptSource.defaultFields.joined(separator: ", "))).")
    var field: String?
    @Option(name: .customLong("hc3-answers"), help: "hc3: one conversation per ChatGPT answer (all) or the first only.")
    var hc3Answers: ImportOptions.HC3Answers = .all
    @Option(help: "Write the import report as JSON here.") var report: String?

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must be >= 0") }
    }

    func run() throws {
        let options = ImportOptions(htmlToMarkdown: htmlToMarkdown, limit: limit, field: field, hc3Answers: hc3Answers)
        let result = try Importer.importFile(URL(fileURLWithPath: input), format: format,
                                             to: URL(fileURLWithPath: out), options: options)
        print("\(input): \(result.items) items read, \(result.records) records written to \(out)"
              + (result.malformed > 0 ? ", \(result.malformed) malformed skipped" : "")
              + (result.limited ? " (stopped at --limit)" : ""))
        for problem in result.problems.prefix(10) { printError("  skipped \(problem)") }
        if result.malformed > 10 { printError("  … and \(result.malformed - 10) more (see --report)") }
        if result.truncated { printError("note: \(input) is cut off; stopped at \(result.stoppedAt ?? "its end")") }
        if let report { try AtomicFile.writeJSON(result, to: report) }
    }
}
