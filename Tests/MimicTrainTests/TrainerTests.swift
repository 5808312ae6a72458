// The training loop: the loss falls on a small set, and a run resumed from a checkpoint continues with the
// same losses as one that was never interrupted.
import Foundation
import MimicModels
import MimicTensor
import MimicTestSupport
import MimicTrain
import Testing

/// Keeps copies of what a checkpoint holds, in memory.
final class MemoryStore: CheckpointStore {
    var saved: [(model: [String: Tensor], optimizer: [String: Tensor], state: TrainerState)] = []

    func copy(_ t: [String: Tensor]) -> [String: Tensor] {
        t.mapValues { $0.copy() }
    }

    func save(model: TrainableModel, optimizer: AdamW, state: TrainerState) throws {
        saved.append((copy(model.huggingFaceTensors()), copy(optimizer.stateTensors()), state))
    }
}

@Suite struct TrainerTests {
    func options() -> TrainOptions {
        var o = TrainOptions()
        o.batchSize = 2
        o.microBatch = 1
        o.optimizer = AdamWOptions(learningRate: 1e-2, weightDecay: 0.01, clipNorm: 1)
        o.warmupSteps = 2
        o.evalEvery = 3
        o.checkpointEvery = 3
        o.seed = 4
        o.epochs = 3
        return o
    }

    @Test func lossFallsOnARepeatedSet() throws {
        let model = try TrainFixtures.tinyLlama()
        let data = sampleBatch(vocab: 512, rows: 4, length: 10, seed: 1)
        let trainer = try Trainer(model: model, train: data, heldOut: Array(data.prefix(2)), options: options(), store: nil, log: nil)
        var losses: [Double] = []
        try trainer.run { record, _, _ in losses.append(record.loss) }
        #expect(losses.count == 6)
        #expect(losses.last! < losses.first! * 0.8, "\(losses)")
    }

    @Test func resumingGivesTheUninterruptedLosses() throws {
        let data = sampleBatch(vocab: 512, rows: 4, length: 10, seed: 2)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mimic-trainer-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = MemoryStore(), log = StepLog(path: dir + "/log.jsonl")
        let full = try Trainer(model: try TrainFixtures.tinyLlama(), train: data, heldOut: [], options: options(), store: store, log: log)
        try full.run()
        let uninterrupted = try log.records().map(\.loss)
        #expect(uninterrupted.count == 6)

        // Resume from the step-3 checkpoint, as after a kill: the log is cut back to step 3 and refilled.
        let checkpoint = store.saved[0]
        #expect(checkpoint.state.step == 3)
        let config = try JSONDecoder().decode(LlamaConfig.self, from: Data(contentsOf: URL(fileURLWithPath: TrainFixtures.models + "/tiny-llama/config.json")))
        let resumed = try Trainer(model: try TrainableLlama(config: config, tensors: checkpoint.model), train: data, heldOut: [],
                                  options: options(), store: nil, log: log, resume: (checkpoint.state, checkpoint.optimizer))
        try resumed.run()
        let records = try log.records()
        #expect(records.map(\.step) == [1, 2, 3, 4, 5, 6])
        #expect(records.map(\.loss) == uninterrupted)
    }

    /// Killed during the first checkpoint's save (steps 1-3 logged, no checkpoint, a line half written), the run
    /// starts over: its log must be the new run's steps once each, not the old ones again.
    @Test func aRunKilledBeforeItsFirstCheckpointStartsItsLogAgain() throws {
        let data = sampleBatch(vocab: 512, rows: 4, length: 10, seed: 2)
        let scratch = try ScratchFolder("mimic-trainer-log")
        let log = StepLog(path: scratch.file("log.jsonl"))
        var cut = options()
        cut.maxSteps = 3   // the first run stops after step 3, as a kill would
        try Trainer(model: try TrainFixtures.tinyLlama(), train: data, heldOut: [], options: cut, store: nil, log: log).run()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"step": 4, "lo"#.utf8))   // a line cut by the kill
        try handle.close()
        #expect(try log.records().map(\.step) == [1, 2, 3])
        let again = try Trainer(model: try TrainFixtures.tinyLlama(), train: data, heldOut: [], options: options(), store: nil, log: log)
        try again.run()
        #expect(try log.records().map(\.step) == [1, 2, 3, 4, 5, 6])
    }
}

@Suite struct FolderCheckpointTests {
    /// A save killed after the old checkpoint was moved aside and before the new one was moved in: the next
    /// resume finds the old checkpoint again instead of silently starting over.
    @Test func interruptedSwapIsUndoneOnResume() throws {
        let scratch = try ScratchFolder("mimic-ckpt")
        let model = try TrainFixtures.tinyLlama()
        let config = try JSONDecoder().decode(LlamaConfig.self, from: Data(contentsOf: URL(fileURLWithPath: TrainFixtures.models + "/tiny-llama/config.json")))
        let folder = scratch.file("model")
        let store = FolderCheckpointStore(folder: folder, config: .llama(config), tokenizer: nil, chatTemplate: nil,
                                          generation: HFGenerationConfig())
        var state = TrainerState(options: TrainOptions())
        state.step = 7
        try store.save(model: model, optimizer: AdamW(parameters: model.parameters, options: AdamWOptions()), state: state)
        try FileManager.default.moveItem(atPath: folder, toPath: folder + ".old")   // the crash window
        let resumed = try #require(try FolderCheckpointStore.resumeState(folder: folder))
        #expect(resumed.state.step == 7)
        #expect(resumed.optimizer.count == 2 * model.parameters.count)
        #expect(FileManager.default.fileExists(atPath: folder + "/model.safetensors"))
    }
}
