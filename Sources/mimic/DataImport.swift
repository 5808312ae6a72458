// `mimic data import`: a public dataset (ShareGPT, HC3, Alpaca, messages JSONL, prompt lists) to conversation JSONL.
// The flags (over --config and MIMIC_DATA_IMPORT_*) become a `DataImportConfig`; `DataStages.importData` works.
import ArgumentParser
import Foundation
import MimicCore
import MimicData
import MimicStages

extension ImportFormat: ExpressibleByArgument {}
extension ImportOptions.HC3Answers: ExpressibleByArgument {}
extension ImportOptions.LeadingAssistant: ExpressibleByArgument {}

struct DataImport: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a dataset into conversation JSONL (malformed records are skipped and reported by position).")

    @Argument(help: "Input format: \(ImportFormat.choices).") var format: ImportFormat?
    @Argument(help: "The input file.") var input: String?
    @OptionGroup var config: ConfigFileOption
    @Option(help: "The conversation JSONL to write.") var out: String?
    @Flag(name: .customLong("html-to-markdown"), help: "Convert HTML in message text to Markdown (ShareGPT dumps).")
    var htmlToMarkdown = false
    @Option(help: "Stop after this many records.") var limit: Int?
    @Option(help: "prompts-jsonl: the text field (default: the first of \(PromptSource.defaultFields.joined(separator: ", "))).")
    var field: String?
    @Option(name: .customLong("hc3-answers"), help: "hc3: one conversation per ChatGPT answer (all, the default) or the first only.")
    var hc3Answers: ImportOptions.HC3Answers?
    @Option(name: .customLong("leading-assistant"),
            help: "Conversations that begin with the assistant (strict templates such as Llama 2 refuse them): keep (default), trim or drop.")
    var leadingAssistant: ImportOptions.LeadingAssistant?
    @Option(help: "Write the import report as JSON here.") var report: String?

    func run() throws {
        let resolved = try ConfigResolver.resolve(DataImportConfig(), file: config.path, environmentPrefix: "MIMIC_DATA_IMPORT",
                                                  flags: self)
        let result = try DataStages.importData(resolved).report
        print("\(resolved.input): \(result.items) items read, \(result.records) records written to \(resolved.out)"
              + (result.malformed > 0 ? ", \(result.malformed) malformed skipped" : "")
              + (result.limited ? " (stopped at --limit)" : ""))
        for problem in result.problems.prefix(10) { printError("  skipped \(problem)") }
        if result.malformed > 10 { printError("  … and \(result.malformed - 10) more (see --report)") }
        if result.truncated { printError("note: \(resolved.input) is cut off; stopped at \(result.stoppedAt ?? "its end")") }
        if result.leadingAssistant > 0 {
            let done = switch resolved.leadingAssistant {
            case .keep: "kept; strict chat templates (Llama 2, Mistral) refuse them: --leading-assistant trim or drop"
            case .trim: "trimmed to their first user turn" + (result.leadingAssistantDropped > 0 ? " (\(result.leadingAssistantDropped) had none and were dropped)" : "")
            case .drop: "dropped"
            }
            printError("note: \(result.leadingAssistant) conversations begin with an assistant turn: \(done)")
        }
    }
}
