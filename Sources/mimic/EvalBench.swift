// `mimic eval-bench`: speed of evaluation's parts — ROUGE on a file of pairs (scripts/rouge_bench.py compares it
// with rouge-score), HumanEval programs through the sandbox, and MMLU-style scoring with the local engine. The flags
// (over `--config` and MIMIC_EVAL_BENCH_*) become an `EvalBenchConfig`; `SpeedBenches.eval` works.
import ArgumentParser
import Foundation
import MimicStages

extension EvalBenchKind: ExpressibleByArgument {}

struct EvalBench: AsyncParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "eval-bench", abstract: "Measure evaluation speed: rouge, humaneval (sandbox) or mmlu (local scoring).")

    @Argument(help: "rouge, humaneval or mmlu.") var what: EvalBenchKind?
    @OptionGroup var config: ConfigFileOption
    @Option(help: "rouge: JSONL of {\"target\", \"prediction\"} pairs.") var pairs: String?
    @Option(help: "rouge: write each pair's scores here (JSONL); mmlu: each request's token ids and log-likelihood.") var out: String?
    @Option(help: "humaneval: the HumanEval JSONL(.gz) (canonical solutions are run).") var problems: String?
    @Option(help: "humaneval: programs at once (default: the cores).") var parallel: Int?
    @Option(help: "mmlu: the model (default smollm2-135m-instruct).") var model: String?
    @Option(help: "mmlu: questions to score (default 40).") var questions: Int?
    @Option(help: "mmlu: few-shot examples before each question (default 5).") var shots: Int?
    @Option(help: "mmlu: batch size (default 8).") var batchSize: Int?
    @Option(name: .shortAndLong, help: "Threads for the local engine (mmlu) or for scoring pairs (rouge; default: the cores).") var threads: Int?

    func run() async throws {
        let resolved = try ConfigResolver.resolve(EvalBenchConfig(), file: config.path, environmentPrefix: "MIMIC_EVAL_BENCH", flags: self)
        let report = try await SpeedBenches.eval(resolved) { printError($0) }
        print(report.jsonLine)
    }
}
