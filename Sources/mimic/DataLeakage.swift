// `mimic data leakage`: drop evaluation prompts whose sentence BLEU against some training query exceeds a threshold.
// The flags (over --config and MIMIC_DATA_LEAKAGE_*) become a `DataLeakageConfig`; `DataStages.leakage` works.
import ArgumentParser
import Foundation
import MimicCore
import MimicData
import MimicStages

struct DataLeakage: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "leakage",
        abstract: "Drop evaluation prompts too close (sentence BLEU above a threshold) to any training query.",
        discussion: """
            The score of an evaluation prompt is max over training queries of sacrebleu's \
            sentence_bleu(prompt, [training query]), found exactly with an n-gram index; prompts scoring above \
            --threshold are dropped (the paper's footnote 2: 20). Queries are first user messages. Items without a \
            user message are kept.
            """)

    @Option(help: "Training conversations or prompts (conversation JSONL, ShareGPT JSON, prompt files).") var train: String?
    @Option(name: .customLong("eval"), help: "Evaluation conversations or prompts.") var eval: String?
    @OptionGroup var config: ConfigFileOption
    @Option(help: "Where to write the kept evaluation items (conversation JSONL).") var out: String?
    @Option(help: "Drop prompts whose BLEU (0-100) exceeds this (default \(Leakage.defaultThreshold)).") var threshold: Double?
    @Option(help: "Write each dropped prompt with its nearest training query and score to this JSONL file.")
    var report: String?
    @Option(help: "Worker threads (default 2).") var threads: Int?

    func run() throws {
        let resolved = try ConfigResolver.resolve(DataLeakageConfig(), file: config.path, environmentPrefix: "MIMIC_DATA_LEAKAGE",
                                                  flags: self)
        let summary = try DataStages.leakage(resolved, progress: ProgressReporter(), log: printError)
        print("kept \(summary.kept) of \(summary.items) evaluation items; dropped \(summary.dropped) "
              + "with BLEU > \(resolved.threshold) against one of \(summary.trainingQueries) training queries -> \(resolved.out)"
              + (resolved.report.map { " (dropped: \($0))" } ?? ""))
    }
}
