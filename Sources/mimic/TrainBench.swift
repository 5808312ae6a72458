// `mimic train-bench`: full fine-tuning throughput of a Llama model of SmolLM2-135M's shape (or a given
// model's), for comparison with PyTorch (scripts/reference/torch_train_bench.py).
import ArgumentParser
import Foundation
import MimicModels
import MimicTensor
import MimicStages
import MimicTrain

struct TrainBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-bench", abstract: "Measure full fine-tuning speed (tokens/s) and peak memory.")

    @Option(help: "Blocks per step.") var batch = 4
    @Option(help: "Tokens per block.") var seq = 256
    @Option(help: "Timed steps.") var steps = 3
    @Option(help: "Untimed warm-up steps.") var warmup = 1
    @Option(name: .shortAndLong, help: "Threads (default: all cores).") var threads: Int?
    @Flag(help: "Recompute activations in the backward pass.") var recompute = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        if let threads { Threads.set(threads) }
        let config = LlamaConfig(vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536, numHiddenLayers: 30,
                                 numAttentionHeads: 9, numKeyValueHeads: 3, maxPositionEmbeddings: 8192, rmsNormEps: 1e-5,
                                 ropeTheta: 100000, tieWordEmbeddings: true)
        let model = try TrainableLlama(config: config, tensors: TrainBenchmark.randomLlamaTensors(config, seed: 1))
        model.recomputeActivations = recompute
        let rate = try TrainBenchmark.run(model: model, batch: batch, length: seq, steps: steps, warmup: warmup)
        let peak = ModelTools.peakResidentMB()
        if json {
            print("{\"batch\": \(batch), \"seq\": \(seq), \"tokens_per_second\": \(rate), \"peak_rss_mb\": \(peak)}")
        } else {
            print(String(format: "%d × %d: %.1f tokens/s, peak RSS %d MB (%d threads)", batch, seq, rate, peak, Threads.count))
        }
    }
}
