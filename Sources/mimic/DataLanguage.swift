// `mimic data language`: keeps the conversations in chosen languages (CLD2), with a report of what it removed.
// The flags (over --config and MIMIC_DATA_LANGUAGE_*) become a `DataLanguageConfig`; `DataStages.language` works.
import ArgumentParser
import Foundation
import MimicCore
import MimicData
import MimicStages

extension LanguageScope: ExpressibleByArgument {}

struct DataLanguage: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "language",
        abstract: "Keep the conversations in chosen languages (CLD2 language identification).",
        discussion: """
            The text classified is the user turns (or --scope first-user / all), with fenced code blocks, inline code, \
            URLs and e-mail addresses removed first. A conversation CLD2 cannot classify (code "un": empty, only code, \
            a few words) is kept unless --drop-unknown is given. The input may be conversation JSONL, ShareGPT JSON \
            or any layout `mimic collect replay` reads; the output is conversation JSONL, written atomically.
            """)

    @Argument(help: "The input file (conversation JSONL, ShareGPT JSON, messages JSONL, …).") var input: String?
    @OptionGroup var config: ConfigFileOption
    @Option(help: "The output conversation JSONL.") var out: String?
    @Option(parsing: .upToNextOption, help: "Language codes to keep (CLD2 codes: en, fr, de, zh, ja, …; repeat or comma-separate; default en).")
    var keep: [String] = []
    @Option(help: "Which turns to classify: first-user, user (the default) or all.") var scope: LanguageScope?
    @Flag(name: .customLong("drop-unknown"), help: "Remove the conversations CLD2 cannot classify.") var dropUnknown = false
    @Option(help: "Write the report (counts per language, removals with reasons, examples) as JSON here.") var report: String?
    @Flag(help: "Stop at the first malformed record instead of skipping and reporting it.") var strict = false

    func run() throws {
        let resolved = try ConfigResolver.resolve(DataLanguageConfig(), file: config.path, environmentPrefix: "MIMIC_DATA_LANGUAGE",
                                                  flags: self, except: ["keep"]) { c in
            if !keep.isEmpty { c.keep = keep }
        }
        let result = try DataStages.language(resolved, progress: ProgressReporter()).report
        print(result.summary())
        if let input = result.input, input.malformed > 0 || input.stoppedAt != nil {
            print("input: \(input.malformed) malformed skipped" + (input.stoppedAt.map { "; file cut off: \($0)" } ?? ""))
        }
        print("wrote \(result.kept) conversations to \(resolved.out)")
        if let report = resolved.report { print("wrote the report to \(report)") }
    }
}
