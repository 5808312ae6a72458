// `mimic train-bench`: full fine-tuning throughput of a Llama model of SmolLM2-135M's shape, for comparison with
// PyTorch (scripts/reference/torch_train_bench.py). The flags (over `--config` and MIMIC_TRAIN_BENCH_*) become a
// `TrainBenchConfig`; `SpeedBenches.train` works.
import ArgumentParser
import Foundation
import MimicStages

struct TrainBench: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "train-bench", abstract: "Measure full fine-tuning speed (tokens/s) and peak memory.")

    @OptionGroup var config: ConfigFileOption
    @Option(help: "Blocks per step (default 4).") var batch: Int?
    @Option(help: "Tokens per block (default 256).") var seq: Int?
    @Option(help: "Timed steps (default 3).") var steps: Int?
    @Option(help: "Untimed warm-up steps (default 1).") var warmup: Int?
    @Option(name: .shortAndLong, help: "Threads (default: all cores).") var threads: Int?
    @Flag(help: "Recompute activations in the backward pass.") var recompute = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let resolved = try ConfigResolver.resolve(TrainBenchConfig(), file: config.path, environmentPrefix: "MIMIC_TRAIN_BENCH", flags: self,
                                                  except: ["json"])
        let r = try SpeedBenches.train(resolved)
        if json {
            print("{\"batch\": \(r.batch), \"seq\": \(r.seq), \"tokens_per_second\": \(r.tokensPerSecond), \"peak_rss_mb\": \(r.peakResidentMB)}")
        } else {
            print(String(format: "%d × %d: %.1f tokens/s, peak RSS %d MB (%d threads)", r.batch, r.seq, r.tokensPerSecond, r.peakResidentMB,
                         r.threads))
        }
    }
}
