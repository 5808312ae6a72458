// `mimic data diversity`: the paper's self-BLEU diversity of a file's queries (first user message of each item).
// The flags (over --config and MIMIC_DATA_DIVERSITY_*) become a `DataDiversityConfig`; `DataStages.diversity` works.
import ArgumentParser
import Foundation
import MimicCore
import MimicData
import MimicStages

struct DataDiversity: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "diversity",
        abstract: "Self-BLEU diversity: each query's sentence BLEU against its most similar other query, and the mean.",
        discussion: """
            A query is the first user message of each conversation. FILE is conversation JSONL, a ShareGPT JSON \
            file (a cut-off one is read up to its last whole conversation), messages JSONL, a JSONL prompt field or \
            plain text. Scores are sacrebleu's sentence_bleu(query, [other query]) (13a, exp smoothing), found \
            exactly with an n-gram index, not by comparing every pair. Lower is more diverse (the paper: 8 for \
            ShareGPT-Mix, 61 for Super-NaturalInstructions).
            """)

    @Argument(help: "The conversations or prompts.") var file: String?
    @OptionGroup var config: ConfigFileOption
    @Flag(help: "Print JSON instead of a table.") var json = false
    @Option(help: "Only the first N queries.") var limit: Int?
    @Option(help: "Worker threads (default 2).") var threads: Int?
    @Option(help: "Also write each query's nearest other query and score to this JSONL file.") var neighbors: String?

    func run() throws {
        let resolved = try ConfigResolver.resolve(DataDiversityConfig(), file: config.path, environmentPrefix: "MIMIC_DATA_DIVERSITY",
                                                  flags: self, except: ["json"])
        let summary = try DataStages.diversity(resolved, progress: ProgressReporter(), log: printError)
        print(json ? String(decoding: try AtomicFile.jsonData(summary), as: UTF8.self) : summary.renderText())
    }
}
