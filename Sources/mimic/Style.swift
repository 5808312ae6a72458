// `mimic style`: the paper's Table 2 style figures of a candidate's answers against the teacher's. The flags (over
// --config and MIMIC_STYLE_*) become a `StyleConfig`; `StyleStage.run` does the work.
import ArgumentParser
import Foundation
import MimicCore
import MimicStages

struct StyleCommand: AsyncParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "style",
        abstract: "Style figures of answers against a teacher's (the paper's Table 2): lists, summaries, unigrams, length.",
        discussion: """
            Items of the files (conversation JSONL) are paired by meta.id when both have one, else by the first user \
            message (trimmed); the answer is the last assistant message. Figures: list_match and summary_match (% of \
            the items whose reference has a list / ends with a summary paragraph where the candidate does too; code \
            blocks left out), unigram_intersection (100 × ROUGE-1 F, no stemming), length_correlation (Pearson r of \
            word counts), each with its items and a seeded bootstrap 95% interval. --reference2, a second teacher \
            sample, gives the upper bound. authoritative_tone (% of answers a --judge labels authoritative with \
            judges/authoritative.yaml) needs a judge and is left out without one.
            """)

    @Option(help: "The answers to score (conversation JSONL).") var candidate: String?
    @Option(help: "The teacher's answers to compare with (conversation JSONL).") var reference: String?
    @Option(help: "A second sample of the teacher's answers, scored against --reference as an upper bound.")
    var reference2: String?
    @Option(help: "Seed of the bootstrap (default 1234).") var seed: UInt64?
    @Option(help: "Bootstrap resamples per interval (default 1000; 0: no intervals).") var bootstrap: Int?
    @Option(help: "Write the results (JSON: config, figures, matching) here.") var out: String?
    @Option(help: "A judge for authoritative_tone: local:MODEL or openai:MODEL[@URL] (default: none, the figure is left out).")
    var judge: String?
    @Option(help: "The rubric the judge is asked with (default judges/authoritative.yaml).") var judgePrompt: String?
    @OptionGroup var client: ClientArguments
    @OptionGroup var config: ConfigFileOption
    @Flag(help: "Print the results as JSON instead of a table.") var json = false

    func run() async throws {
        let resolved = try ConfigResolver.resolve(StyleConfig(), file: config.path, environmentPrefix: "MIMIC_STYLE", flags: self,
                                                  except: ["judge", "client", "json"]) { c in
            if let judge { c.judge = try ModelRef(parsing: judge) }
            client.apply(to: &c.client)
        }
        let report = try await StyleStage.run(resolved, progress: ProgressReporter())
        if json {
            print(String(decoding: try ConfigResolver.encoded(report), as: UTF8.self), terminator: "")
        } else {
            print(report.renderText())
        }
    }
}
