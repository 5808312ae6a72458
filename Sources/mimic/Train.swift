// `mimic train`: fine-tune a student on a conversation file, with progress, checkpoints and resume.
import ArgumentParser
import Foundation
import MimicModels
import MimicTensor
import MimicTrain

extension TrainPreset: ExpressibleByArgument {}
extension LRDecay: ExpressibleByArgument {}
extension BadInputPolicy: ExpressibleByArgument {}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fine-tune a model on conversations (loss on assistant turns only); run again with the same --out to resume.")

    @Option(help: "The student: a GGUF file, an HF folder, or a built-in name.") var model = "smollm2-135m-instruct"
    @Option(help: "Conversations, JSON Lines ({\"messages\": [...]}).") var data: String
    @Option(help: "Output folder: model/ (the latest checkpoint, an HF folder), log.jsonl, train_config.json.") var out: String
    @Option(help: "Starting recipe: default, or paper (AdamW 2e-3, 1000 warm-up steps, batch 32, weight-scaled updates).")
    var preset = TrainPreset.default
    @Option(help: "Use only the first N tokens of the shuffled training set.") var maxTokens: Int?
    @Option(help: "Passes over the data.") var epochs: Int?
    @Option(help: "Blocks per optimizer step.") var batchSize: Int?
    @Option(help: "Blocks per forward/backward pass (gradients accumulate to --batch-size).") var microBatch: Int?
    @Option(help: "Tokens per block.") var blockSize = 512
    @Option(help: "Peak learning rate.") var lr: Double?
    @Option(help: "Linear warm-up steps.") var warmup: Int?
    @Option(help: "After warm-up: constant, linear or cosine.") var decay: LRDecay?
    @Option(help: "AdamW weight decay.") var weightDecay: Double?
    @Option(help: "Stop after this many steps.") var maxSteps: Int?
    @Option(help: "Held-out fraction for evaluation loss.") var heldOut = 0.05
    @Option(help: "Evaluate every N steps.") var evalEvery: Int?
    @Option(help: "Checkpoint every N steps.") var checkpointEvery: Int?
    @Option(help: "Seed for data order and splits.") var seed: UInt64 = 0
    @Flag(help: "One example per block (no packing).") var noPacking = false
    @Flag(help: "Recompute activations in the backward pass (less memory for long blocks, about a third more time).")
    var recompute = false
    @Option(help: "Conversations that cannot be used: skip (count and report) or fail.") var onBadExample = BadInputPolicy.skip
    @Option(help: "Chat template (default: the model's own).") var template: String?
    @Option(name: .shortAndLong, help: "Threads (default: all cores).") var threads: Int?

    /// Checks the config the flags make (the library's checks, shown with the usage).
    func validate() throws {
        do {
            try config().validate()
        } catch let error as TrainConfigError {
            throw ValidationError(error.errorDescription ?? "\(error)")
        }
    }

    /// The flags as the train stage's config.
    func config() -> TrainConfig {
        var o = TrainConfig(model: model, data: data, out: out)
        var t = preset.options
        if let epochs { t.epochs = epochs }
        if let batchSize { t.batchSize = batchSize }
        t.microBatch = min(microBatch ?? t.microBatch, t.batchSize)
        if let lr { t.optimizer.learningRate = lr }
        if let warmup { t.warmupSteps = warmup }
        if let decay { t.decay = decay }
        if let weightDecay { t.optimizer.weightDecay = weightDecay }
        if let maxSteps { t.maxSteps = maxSteps }
        if let evalEvery { t.evalEvery = evalEvery }
        if let checkpointEvery { t.checkpointEvery = checkpointEvery }
        t.seed = seed
        t.recomputeActivations = recompute
        o.train = t
        o.template = template
        o.blockSize = blockSize
        o.packing = !noPacking
        o.heldOutFraction = heldOut
        o.maxTokens = maxTokens
        o.onBadExample = onBadExample
        return o
    }

    func run() throws {
        if let threads { Threads.set(threads) }
        let bar = ProgressLine()
        let summary = try TrainingRun.run(config(), log: printError) { record, state, total in
            bar.update(record: record, state: state, total: total)
        }
        bar.finish()
        print("trained \(summary.steps) steps; model in \(out)/model"
              + (summary.finalEvalLoss.map { String(format: "; held-out loss %.4f", $0) } ?? ""))
    }
}

/// A progress display: one rewritten line with rate and ETA on a terminal, plain lines otherwise.
final class ProgressLine {
    let tty = isatty(STDERR_FILENO) != 0
    let start = Date()
    var firstStep: Int?

    func update(record r: StepRecord, state: TrainerState, total: Int) {
        if firstStep == nil { firstStep = r.step - 1 }
        let done = r.step - (firstStep ?? 0), elapsed = Date().timeIntervalSince(start)
        let eta = done > 0 ? elapsed / Double(done) * Double(total - r.step) : 0
        var line = String(format: "step %d/%d  loss %.4f  lr %.2e  %.0f tok/s  ETA %@", r.step, total, r.loss, r.learningRate,
                          r.tokensPerSecond, Self.duration(eta) as NSString)
        if let e = r.evalLoss { line += String(format: "  eval %.4f", e) }
        if tty {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
            if r.evalLoss != nil { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            printError(line)
        }
    }

    func finish() { if tty { FileHandle.standardError.write(Data("\n".utf8)) } }

    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%dh%02dm", t / 3600, t % 3600 / 60) : String(format: "%dm%02ds", t / 60, t % 60)
    }
}
