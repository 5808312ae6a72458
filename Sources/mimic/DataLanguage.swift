// `mimic data language`: keeps the conversations in chosen languages (CLD2), with a report of what it removed.
import ArgumentParser
import Foundation
import MimicCore
import MimicData

extension LanguageScope: ExpressibleByArgument {}

struct DataLanguage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "language",
        abstract: "Keep the conversations in chosen languages (CLD2 language identification).",
        discussion: """
            The text classified is the user turns (or --scope first-user / all), with fenced code blocks, inline code, \
            URLs and e-mail addresses removed first. A conversation CLD2 cannot classify (code "un": empty, only code, \
            a few words) is kept unless --drop-unknown is given. The input may be conversation JSONL, ShareGPT JSON \
            or any layout `mimic collect replay` reads; the output is conversation JSONL, written atomically.
            """)

    @Argument(help: "The input file (conversation JSONL, ShareGPT JSON, messages JSONL, …).") var input: String
    @Option(help: "The output conversation JSONL.") var out: String
    @Option(parsing: .upToNextOption, help: "Language codes to keep (CLD2 codes: en, fr, de, zh, ja, …; repeat or comma-separate).")
    var keep: [String] = ["en"]
    @Option(help: "Which turns to classify: first-user, user or all.") var scope: LanguageScope = .user
    @Flag(name: .customLong("drop-unknown"), help: "Remove the conversations CLD2 cannot classify.") var dropUnknown = false
    @Option(help: "Write the report (counts per language, removals with reasons, examples) as JSON here.") var report: String?
    @Flag(help: "Stop at the first malformed record instead of skipping and reporting it.") var strict = false

    func run() throws {
        let codes = Set(keep.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        guard !codes.isEmpty else { throw ValidationError("--keep needs at least one language code (e.g. en)") }
        for code in codes where LanguageID.name(ofCode: code) == "Unknown" {
            throw ValidationError("--keep \(code): CLD2 does not know this language code (try en, fr, de, es, zh, ja, ko, ru)")
        }
        let filter = LanguageFilter(keep: codes, scope: scope, keepUnknown: !dropUnknown)
        let progress = ProgressReporter()
        let result = try filter.run(input: URL(fileURLWithPath: input), output: URL(fileURLWithPath: out),
                                    policy: strict ? .fail : .skipAndReport) { progress.update("classified", done: $0, total: nil, unit: "records") }
        progress.finish()
        print(result.summary())
        if let input = result.input, input.malformed > 0 || input.stoppedAt != nil {
            print("input: \(input.malformed) malformed skipped" + (input.stoppedAt.map { "; file cut off: \($0)" } ?? ""))
        }
        print("wrote \(result.kept) conversations to \(out)")
        if let report {
            try AtomicFile.writeJSON(result, to: report)
            print("wrote the report to \(report)")
        }
    }
}
