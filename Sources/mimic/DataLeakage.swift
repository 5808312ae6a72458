// `mimic data leakage`: drop evaluation prompts whose sentence BLEU against some training query exceeds a threshold.
import ArgumentParser
import Foundation
import MimicCore
import MimicData
import MimicMetrics

struct DataLeakage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leakage",
        abstract: "Drop evaluation prompts too close (sentence BLEU above a threshold) to any training query.",
        discussion: """
            The score of an evaluation prompt is max over training queries of sacrebleu's \
            sentence_bleu(prompt, [training query]), found exactly with an n-gram index; prompts scoring above \
            --threshold are dropped (the paper's footnote 2: 20). Queries are first user messages. Items without a \
            user message are kept.
            """)

    @Option(help: "Training conversations or prompts (conversation JSONL, ShareGPT JSON, prompt files).") var train: String
    @Option(name: .customLong("eval"), help: "Evaluation conversations or prompts.") var evaluation: String
    @Option(help: "Where to write the kept evaluation items (conversation JSONL).") var out: String
    @Option(help: "Drop prompts whose BLEU (0-100) exceeds this.") var threshold: Double = Leakage.defaultThreshold
    @Option(help: "Write each dropped prompt with its nearest training query and score to this JSONL file.")
    var report: String?
    @Option(help: "Worker threads.") var threads: Int = 2

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard threshold.isFinite, threshold >= 0 else { throw ValidationError("--threshold must be a number >= 0") }
    }

    func run() throws {
        let training = try BLEUQueryFile.read(train, limit: nil)
        training.printNotes()
        let evalFile = try BLEUQueryFile.read(evaluation, limit: nil)
        evalFile.printNotes()
        let trainQueries = training.queries.compactMap { $0 }
        let withQuery = evalFile.queries.indices.filter { evalFile.queries[$0] != nil }
        let prompts = withQuery.compactMap { evalFile.queries[$0] }
        let progress = ProgressReporter()
        let result = Leakage.filter(evaluation: prompts, training: trainQueries, threshold: threshold,
                                    threads: threads) { done, total in progress.update("leakage", done: done, total: total, unit: "queries") }
        progress.finish()
        let droppedItems = Set(result.dropped.map { withQuery[$0.evalIndex] })
        let kept = evalFile.records.indices.filter { !droppedItems.contains($0) }.map { evalFile.records[$0] }
        try ConversationJSONL.write(kept, to: URL(fileURLWithPath: out))
        if let report {
            var data = Data()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for var dropped in result.dropped {
                dropped.evalIndex = withQuery[dropped.evalIndex]
                data.append(try encoder.encode(dropped))
                data.append(0x0A)
            }
            try AtomicFile.write(data, to: URL(fileURLWithPath: report))
        }
        print("kept \(kept.count) of \(evalFile.records.count) evaluation items; dropped \(result.dropped.count) "
              + "with BLEU > \(threshold) against one of \(trainQueries.count) training queries -> \(out)"
              + (report.map { " (dropped: \($0))" } ?? ""))
    }
}
