// The training loop: batches in seeded order, gradient accumulation, AdamW with a schedule, held-out
// evaluation, a JSON Lines log of every step, checkpoints, and resuming from the last checkpoint.
import Foundation
import MimicCore
import MimicTensor

/// Settings of one training run.
public struct TrainOptions: Codable, Sendable, Equatable {
    /// Passes over the training blocks.
    public var epochs = 1
    /// Blocks per optimizer step (the batch size in blocks).
    public var batchSize = 4
    /// Blocks per forward/backward pass (a step accumulates batchSize / microBatch passes).
    public var microBatch = 4
    /// The default recipe fine-tunes gently (AdamW 1e-4 after 10 warm-up steps); `paper` is section 4.1's.
    public var optimizer = AdamWOptions(learningRate: 1e-4)
    /// Optimizer steps of linear warm-up from 0 to the base learning rate.
    public var warmupSteps = 10
    /// How the rate falls after the warm-up.
    public var decay = LRDecay.constant
    /// Evaluate held-out loss every N steps (0: only at the end).
    public var evalEvery = 50
    /// Write a checkpoint every N steps (0: only at the end).
    public var checkpointEvery = 100
    /// Seed of every shuffle: each epoch's block order (and, in TrainingRun, the held-out split and packing).
    public var seed: UInt64 = 0
    /// Stop after this many steps (0: run all epochs).
    public var maxSteps = 0
    /// Recompute activations in the backward instead of keeping them (Llama family): less memory, more time.
    public var recomputeActivations = false

    /// The default recipe: one epoch, batch 4, AdamW 1e-4 after 10 warm-up steps, then constant.
    public init() {}

    /// The paper's section 4.1 recipe: AdamW at 2e-3 with 1000 linear warm-up steps from 0, then constant,
    /// batch 32, one epoch, updates scaled by each weight's magnitude.
    public static var paper: TrainOptions {
        var o = TrainOptions()
        o.epochs = 1
        o.batchSize = 32
        o.microBatch = 4
        o.optimizer = AdamWOptions(learningRate: 2e-3, weightDecay: 0, clipNorm: 1, scaleByWeightRMS: true)
        o.warmupSteps = 1000
        o.decay = .constant
        return o
    }
}

/// Where the trainer is; saved with each checkpoint.
public struct TrainerState: Codable, Sendable, Equatable {
    /// Optimizer steps taken.
    public var step = 0
    /// The current epoch, from 0.
    public var epoch = 0
    /// Batches of the current epoch already consumed.
    public var batchInEpoch = 0
    /// Tokens (trained or not) in all batches stepped on so far.
    public var tokensSeen = 0
    /// The options the run was started with (kept on resume).
    public var options: TrainOptions
    /// The training data and block settings the run was started with (nil in checkpoints of older versions).
    public var dataFingerprint: TrainingDataFingerprint?

    /// The state at the start of a run with `options`.
    public init(options: TrainOptions) { self.options = options }
}

/// One line of the training log.
public struct StepRecord: Codable, Sendable, Equatable {
    /// Optimizer steps taken, counting this one (from 1).
    public var step: Int
    /// Epoch of the step, from 0.
    public var epoch: Int
    /// Mean loss per trained token of the step's batch.
    public var loss: Double
    /// The learning rate the step used, after the schedule.
    public var learningRate: Double
    /// Global gradient L2 norm before clipping.
    public var gradNorm: Double
    /// Tokens in the step's batch (trained or not).
    public var tokens: Int
    /// Tokens per second of wall time for the step.
    public var tokensPerSecond: Double
    /// Mean held-out loss per trained token, on steps where it was evaluated.
    public var evalLoss: Double?
}

/// Saves and loads what a run needs to resume: the model, the optimizer moments, the trainer state.
public protocol CheckpointStore {
    /// Writes a checkpoint of the model, optimizer moments and trainer state.
    func save(model: TrainableModel, optimizer: AdamW, state: TrainerState) throws
}

/// Runs training over fixed train and held-out blocks.
public final class Trainer {
    /// The model being trained (its parameters change in place).
    public let model: TrainableModel
    /// AdamW over the model's parameters.
    public let optimizer: AdamW
    /// Progress so far; saved with each checkpoint.
    public private(set) var state: TrainerState
    let train: [TrainingBlock]
    let heldOut: [TrainingBlock]
    let store: CheckpointStore?
    let log: StepLog?

    /// A trainer over fixed blocks; `store` and `log` are optional. With `resume` (a checkpoint's state and
    /// optimizer moments) it continues from there, dropping log lines after that step; throws if they do not fit.
    /// Without it the run starts at step 0 and so does the log (lines left by a run killed before its first
    /// checkpoint are dropped, not repeated).
    /// `dataFingerprint` is saved with each checkpoint (a resumed state keeps its own, if it has one).
    public init(model: TrainableModel, train: [TrainingBlock], heldOut: [TrainingBlock], options: TrainOptions,
                store: CheckpointStore?, log: StepLog?, resume: (state: TrainerState, optimizer: [String: Tensor])? = nil,
                dataFingerprint: TrainingDataFingerprint? = nil) throws {
        precondition(options.batchSize > 0 && options.microBatch > 0, "batch sizes must be positive")
        self.model = model
        self.train = train
        self.heldOut = heldOut
        self.store = store
        self.log = log
        optimizer = AdamW(parameters: model.parameters, options: options.optimizer)
        state = TrainerState(options: options)
        if let resume {
            state = resume.state
            try optimizer.restore(state: resume.optimizer, step: resume.state.step)
            try log?.truncate(after: resume.state.step)
        } else {
            try log?.clear()
        }
        if state.dataFingerprint == nil { state.dataFingerprint = dataFingerprint }
    }

    var options: TrainOptions { state.options }
    var batchesPerEpoch: Int { train.count / options.batchSize }

    /// Total optimizer steps of the run.
    public var totalSteps: Int {
        let all = batchesPerEpoch * options.epochs
        return options.maxSteps > 0 ? min(all, options.maxSteps) : all
    }

    /// The block order of an epoch: the project's seeded permutation, seeded by (seed, epoch).
    func order(epoch: Int) -> [Int] {
        var rng = SeededGenerator(seed: options.seed &+ UInt64(epoch) &* 0x9E37_79B9)
        return seededPermutation(train.count, &rng)
    }

    func learningRate(step: Int) -> Double {
        let schedule: Schedule = switch options.decay {
        case .linear: .linear(warmup: options.warmupSteps, total: totalSteps)
        case .cosine: .cosine(warmup: options.warmupSteps, total: totalSteps)
        case .constant: .constant(warmup: options.warmupSteps)
        }
        return options.optimizer.learningRate * schedule.factor(step: step)
    }

    /// Mean held-out loss per trained token.
    public func evaluate() throws -> Double? {
        guard !heldOut.isEmpty else { return nil }
        var sum = 0.0, n = 0
        for start in stride(from: 0, to: heldOut.count, by: options.microBatch) {
            let r = try model.evaluate(Array(heldOut[start..<min(start + options.microBatch, heldOut.count)]))
            sum += r.lossSum
            n += r.trained
        }
        return n > 0 ? sum / Double(n) : nil
    }

    /// One optimizer step on `blocks` (the whole batch); returns its record.
    func step(_ blocks: [TrainingBlock]) throws -> StepRecord {
        let start = Date()
        let trained = blocks.reduce(0) { $0 + $1.trainedCount }
        model.zeroGradients()
        var lossSum = 0.0
        for s in stride(from: 0, to: blocks.count, by: options.microBatch) {
            lossSum += try model.accumulateGradients(Array(blocks[s..<min(s + options.microBatch, blocks.count)]),
                                                     normalizer: max(trained, 1)).lossSum
        }
        let lr = learningRate(step: state.step)
        let norm = optimizer.update(learningRate: lr)
        let tokens = blocks.reduce(0) { $0 + $1.count }
        state.step += 1
        state.tokensSeen += tokens
        return StepRecord(step: state.step, epoch: state.epoch, loss: lossSum / Double(max(trained, 1)), learningRate: lr,
                          gradNorm: norm, tokens: tokens, tokensPerSecond: Double(tokens) / max(Date().timeIntervalSince(start), 1e-9),
                          evalLoss: nil)
    }

    /// Trains to the end (or `maxSteps`), calling `progress` after each step.
    public func run(progress: (StepRecord, TrainerState, Int) -> Void = { _, _, _ in }) throws {
        var epochOrder: (epoch: Int, order: [Int])?   // drawn once per epoch, not once per step
        while state.step < totalSteps {
            if state.batchInEpoch >= batchesPerEpoch {
                state.epoch += 1
                state.batchInEpoch = 0
            }
            if epochOrder?.epoch != state.epoch { epochOrder = (state.epoch, order(epoch: state.epoch)) }
            let order = epochOrder!.order
            let b = state.batchInEpoch * options.batchSize
            let blocks = order[b..<(b + options.batchSize)].map { train[$0] }
            var record = try step(blocks)
            state.batchInEpoch += 1
            let last = state.step == totalSteps
            if (options.evalEvery > 0 && state.step % options.evalEvery == 0) || last { record.evalLoss = try evaluate() }
            try log?.append(record)
            progress(record, state, totalSteps)
            if (options.checkpointEvery > 0 && state.step % options.checkpointEvery == 0) || last {
                try store?.save(model: model, optimizer: optimizer, state: state)
            }
        }
    }
}

/// The JSON Lines log of every step, appended as the run goes; on resume, lines after the checkpoint are dropped.
public final class StepLog {
    /// Path of the log file.
    public let path: String
    private let encoder: JSONEncoder

    /// A log at `path` (created on the first append).
    public init(path: String) {
        self.path = path
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
    }

    /// Appends `record` as one line of sorted-key JSON, creating the file if needed.
    public func append(_ record: StepRecord) throws {
        var line = try encoder.encode(record)
        line.append(UInt8(ascii: "\n"))
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line)
    }

    /// The records in the log. A last line cut short (a kill while appending: no newline after it) is not a record.
    public func records() throws -> [StepRecord] {
        guard var data = FileManager.default.contents(atPath: path) else { return [] }
        if let end = data.lastIndex(of: UInt8(ascii: "\n")) { data = data[...end] } else { data = Data() }
        return try data.split(separator: UInt8(ascii: "\n")).map { try JSONDecoder().decode(StepRecord.self, from: Data($0)) }
    }

    /// Empties the log (a run that starts at step 0), without reading what a killed run left.
    public func clear() throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        try AtomicFile.write(Data(), to: path)
    }

    /// Keeps only records up to `step` (atomically: temp file + rename).
    public func truncate(after step: Int) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let kept = try records().filter { $0.step <= step }
        var out = Data()
        for r in kept { out += try encoder.encode(r); out.append(UInt8(ascii: "\n")) }
        try AtomicFile.write(out, to: path)
    }
}
