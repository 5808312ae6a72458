// `mimic train`: fine-tune a student on a conversation file, with progress, checkpoints and resume. The flags (over
// `--config`, MIMIC_TRAIN_* and the defaults) become a `TrainConfig`; `TrainingRun.run` does the work.
import ArgumentParser
import Foundation
import MimicCore
import MimicStages
import MimicTensor
import MimicTrain

extension TrainPreset: ExpressibleByArgument {}
extension LRDecay: ExpressibleByArgument {}
extension BadInputPolicy: ExpressibleByArgument {}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fine-tune a model on conversations (loss on assistant turns only); run again with the same --out to resume.")

    @Option(help: "A config file (YAML or JSON) with TrainConfig's keys (OUT/train_config.json too); flags override it.")
    var config: String?
    @Option(help: "The student: a GGUF file, an HF folder, or a built-in name (default: smollm2-135m-instruct).") var model: String?
    @Option(help: "Conversations, JSON Lines ({\"messages\": [...]}).") var data: String?
    @Option(help: "Output folder: model/ (the latest checkpoint, an HF folder), log.jsonl, train_config.json.") var out: String?
    @Option(help: "Starting recipe under the file and flags: default, or paper (AdamW 2e-3, 1000 warm-up steps, batch 32, weight-scaled updates).")
    var preset = TrainPreset.default
    @Option(help: "Keep whole training conversations within N content tokens (the model's tokenizer; as `mimic data subset --tokens N --tokenizer MODEL`).")
    var maxTokens: Int?
    @Option(help: "Passes over the data.") var epochs: Int?
    @Option(help: "Blocks per optimizer step.") var batchSize: Int?
    @Option(help: "Blocks per forward/backward pass (gradients accumulate to --batch-size).") var microBatch: Int?
    @Option(help: "Tokens per block (default 512).") var blockSize: Int?
    @Option(help: "Peak learning rate.") var lr: Double?
    @Option(help: "Linear warm-up steps.") var warmup: Int?
    @Option(help: "After warm-up: constant, linear or cosine.") var decay: LRDecay?
    @Option(help: "AdamW weight decay.") var weightDecay: Double?
    @Option(help: "Stop after this many steps.") var maxSteps: Int?
    @Option(help: "Held-out fraction for evaluation loss (default 0.05).") var heldOut: Double?
    @Option(help: "Evaluate every N steps.") var evalEvery: Int?
    @Option(help: "Checkpoint every N steps.") var checkpointEvery: Int?
    @Option(help: "Seed for data order and splits (default 0).") var seed: UInt64?
    @Flag(help: "One example per block (no packing).") var noPacking = false
    @Flag(help: "Recompute activations in the backward pass (less memory for long blocks, about a third more time).")
    var recompute = false
    @Option(help: "Conversations that cannot be used: skip (count and report) or fail.") var onBadExample: BadInputPolicy?
    @Option(help: "Chat template (default: the model's own).") var template: String?
    @Option(name: .shortAndLong, help: "Threads (default: all cores).") var threads: Int?

    /// The config: the preset's defaults, then the file, MIMIC_TRAIN_*, then these flags.
    func resolved() throws -> TrainConfig {
        var defaults = TrainConfig(model: "smollm2-135m-instruct", data: "", out: "")
        defaults.train = preset.options
        return try ConfigResolver.resolve(defaults, file: config, environmentPrefix: "MIMIC_TRAIN") { c in
            if let model { c.model = model }
            if let data { c.data = data }
            if let out { c.out = out }
            if let epochs { c.train.epochs = epochs }
            if let batchSize { c.train.batchSize = batchSize }
            c.train.microBatch = min(microBatch ?? c.train.microBatch, c.train.batchSize)
            if let lr { c.train.optimizer.learningRate = lr }
            if let warmup { c.train.warmupSteps = warmup }
            if let decay { c.train.decay = decay }
            if let weightDecay { c.train.optimizer.weightDecay = weightDecay }
            if let maxSteps { c.train.maxSteps = maxSteps }
            if let evalEvery { c.train.evalEvery = evalEvery }
            if let checkpointEvery { c.train.checkpointEvery = checkpointEvery }
            if let seed { c.train.seed = seed }
            if recompute { c.train.recomputeActivations = true }
            if let template { c.template = template }
            if let blockSize { c.blockSize = blockSize }
            if noPacking { c.packing = false }
            if let heldOut { c.heldOutFraction = heldOut }
            if let maxTokens { c.maxTokens = maxTokens }
            if let onBadExample { c.onBadExample = onBadExample }
        }
    }

    func run() throws {
        if let threads { Threads.set(threads) }
        let config = try resolved()
        let progress = ProgressReporter()
        let summary = try TrainingRun.run(config, log: progress.note) { r, _, total in
            var detail = String(format: "loss %.4f  lr %.2e  %.0f tok/s", r.loss, r.learningRate, r.tokensPerSecond)
            if let e = r.evalLoss { detail += String(format: "  eval %.4f", e) }
            progress.update("train", done: r.step, total: total, unit: "steps", detail: detail)
        }
        progress.finish()
        print("trained \(summary.steps) steps; model in \(config.out)/model"
              + (summary.finalEvalLoss.map { String(format: "; held-out loss %.4f", $0) } ?? ""))
    }
}
