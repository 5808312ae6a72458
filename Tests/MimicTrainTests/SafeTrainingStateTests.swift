// Safe training state: the train config's choices are enums checked when decoded, validate() names the bad field,
// a checkpoint refuses to resume with other data or block settings, and weights must have their exact shapes.
import Foundation
import MimicCore
import MimicModels
import MimicTensor
@testable import MimicTrain
import MimicTestSupport
import Testing

@Suite struct TrainConfigTests {
    /// A config as train_config.json holds it, with `key`'s value (a JSON string) replaced by `value`.
    func json(replacing key: String, with value: String) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var text = try #require(String(data: encoder.encode(TrainConfig(model: "m", data: "d.jsonl", out: "o")), encoding: .utf8))
        let range = try #require(text.range(of: "\"\(key)\":\"[a-z]+\"", options: .regularExpression))
        text.replaceSubrange(range, with: "\"\(key)\":\"\(value)\"")
        return Data(text.utf8)
    }

    @Test func theDefaultsRoundTripThroughJSON() throws {
        let config = TrainConfig(model: "m", data: "d.jsonl", out: "o")
        #expect(try TrainConfig.decode(JSONEncoder().encode(config), file: "train_config.json") == config)
    }

    @Test func anUnknownChoiceIsOneErrorNamingTheFieldAndTheAllowedValues() throws {
        let decay = #expect(throws: ConfigError.self) {
            try TrainConfig.decode(try json(replacing: "decay", with: "exponential"), file: "train_config.json")
        }
        #expect(decay == ConfigError(field: "train.decay", problem: "'exponential' is not one of: constant, linear, cosine",
                                     location: "train_config.json"))
        print(decay?.errorDescription ?? "")
        let policy = #expect(throws: ConfigError.self) {
            try TrainConfig.decode(try json(replacing: "onBadExample", with: "ignore"), file: "train_config.json")
        }
        #expect(policy == ConfigError(field: "on_bad_example", problem: "'ignore' is not one of: skip, fail", location: "train_config.json"))
    }

    @Test func validateNamesTheBadField() throws {
        let data = try Fixtures.conversations("good").path
        let good = TrainConfig(model: "m", data: data, out: "o")
        try good.validate()
        let cases: [(String, (inout TrainConfig) -> Void)] = [
            ("block_size", { $0.blockSize = 4 }), ("held_out_fraction", { $0.heldOutFraction = 1 }), ("max_tokens", { $0.maxTokens = 0 }),
            ("train.batch_size", { $0.train.batchSize = 0 }), ("train.optimizer.learning_rate", { $0.train.optimizer.learningRate = 0 }),
            ("train.eval_every", { $0.train.evalEvery = -1 }), ("data", { $0.data = "/no/such.jsonl" }),
        ]
        for (field, change) in cases {
            var bad = good
            change(&bad)
            let error = #expect(throws: ConfigError.self) { try bad.validate() }
            #expect(error?.field == field)
            if field == "block_size" { print(error?.errorDescription ?? "") }
        }
    }

    @Test func sha256MatchesThePublishedVectorsInAnyChunking() throws {
        let vectors = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ]
        let scratch = try ScratchFolder("mimic-ckpt")
        for (text, digest) in vectors {
            try Data(text.utf8).write(to: URL(fileURLWithPath: scratch.file("v")))
            for chunk in [1, 3, 64, 1 << 20] { #expect(try SHA256.hex(file: scratch.file("v"), chunk: chunk) == digest) }
        }
        try Data(repeating: UInt8(ascii: "a"), count: 1_000_000).write(to: URL(fileURLWithPath: scratch.file("m")))
        #expect(try SHA256.hex(file: scratch.file("m"), chunk: 1000)
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

@Suite struct ResumeCheckTests {
    /// A run's config on two small data files in a scratch folder, and a checkpoint in its out/model saved with
    /// `saved` as its fingerprint.
    func checkpointed(saved: (TrainConfig) throws -> TrainingDataFingerprint?) throws -> (ScratchFolder, TrainConfig) {
        let scratch = try ScratchFolder("mimic-ckpt")
        try FileManager.default.copyItem(atPath: try Fixtures.conversations("good").path, toPath: scratch.file("a.jsonl"))
        try FileManager.default.copyItem(atPath: try Fixtures.conversations("untrainable").path, toPath: scratch.file("b.jsonl"))
        var config = TrainConfig(model: Fixtures.path("models/tiny-llama"), data: scratch.file("a.jsonl"), out: scratch.file("out"))
        config.blockSize = 64
        let model = try TrainFixtures.tinyLlama()
        let store = FolderCheckpointStore(folder: config.modelFolder, config: .llama(model.config), tokenizer: nil, chatTemplate: nil,
                                          generation: HFGenerationConfig())
        var state = TrainerState(options: config.train)
        state.step = 2
        state.dataFingerprint = try saved(config)
        try store.save(model: model, optimizer: AdamW(parameters: model.parameters, options: AdamWOptions()), state: state)
        return (scratch, config)
    }

    func run(_ config: TrainConfig, log: (String) -> Void = { _ in }) throws {
        _ = try TrainingRun.run(config, log: log) { _, _, _ in }
    }

    @Test func otherDataOrAnotherBlockSizeIsRefusedSayingHowToStartFresh() throws {
        let (scratch, config) = try checkpointed { try TrainingDataFingerprint($0) }
        defer { withExtendedLifetime(scratch) {} }
        var otherData = config
        otherData.data = scratch.file("b.jsonl")
        let data = #expect(throws: TrainResumeError.self) { try run(otherData) }
        guard case .settingsChanged(let folder, let differences) = data else { return }
        #expect(folder == config.modelFolder && differences.count == 1 && differences[0].hasPrefix("the data file changed"))
        print(data?.errorDescription ?? "")

        var otherBlocks = config
        otherBlocks.blockSize = 128
        let blocks = #expect(throws: TrainResumeError.self) { try run(otherBlocks) }
        #expect(blocks == .settingsChanged(folder: config.modelFolder, differences: ["block size 64 in the checkpoint, 128 now"]))
        let message = blocks?.errorDescription ?? ""
        #expect(message.contains("another --out") && message.contains("delete \(config.modelFolder)"))
        print(message)

        // The same data and settings pass the check (and then stop at the checkpoint's missing tokenizer).
        #expect(throws: (any Error).self) { try run(config) }
        do { try run(config) } catch { #expect(!(error is TrainResumeError), "\(error)") }
    }

    @Test func aCheckpointWithoutAFingerprintResumesWithAWarning() throws {
        let (scratch, config) = try checkpointed { _ in nil }
        defer { withExtendedLifetime(scratch) {} }
        var lines: [String] = []
        let error = #expect(throws: (any Error).self) { try run(config) { lines.append($0) } }   // stops at the missing tokenizer
        #expect(!(error is TrainResumeError), "\(String(describing: error))")
        #expect(lines.first?.hasPrefix("warning: \(config.modelFolder) does not record its training data") == true, "\(lines)")
    }

    @Test func theFingerprintNamesEachSetting() throws {
        let scratch = try ScratchFolder("mimic-ckpt")
        try Data("{}\n".utf8).write(to: URL(fileURLWithPath: scratch.file("d.jsonl")))
        let config = TrainConfig(model: "m", data: scratch.file("d.jsonl"), out: "o")
        let saved = try TrainingDataFingerprint(config)
        var changed = config
        changed.packing = false
        changed.heldOutFraction = 0.1
        changed.maxTokens = 1000
        changed.template = "chatml"
        changed.train.seed = 9
        changed.train.optimizer.learningRate = 1   // not a data setting: a resumed run keeps its own optimizer settings
        #expect(try TrainingDataFingerprint(changed).differences(from: saved) == [
            "packing true in the checkpoint, false now", "held-out fraction 0.05 in the checkpoint, 0.1 now",
            "max tokens none in the checkpoint, 1000 now", "template none in the checkpoint, chatml now",
            "seed 0 in the checkpoint, 9 now",
        ])
    }
}

@Suite struct WeightShapeTests {
    /// The tensors of a copy of the fixture folder `name` written with `tensor` transposed, read back as stored.
    func transposedFolder(_ name: String, tensor: String) throws -> (ScratchFolder, [String: Tensor]) {
        var tensors = try TrainFixtures.tensors(TrainFixtures.models + "/" + name)
        let t = try #require(tensors[tensor])
        let (rows, cols) = (t.shape[0], t.shape[1])
        let flipped = Tensor(zeros: [cols, rows])
        for r in 0..<rows { for c in 0..<cols { flipped.data[c * rows + r] = t.data[r * cols + c] } }
        tensors[tensor] = flipped
        let scratch = try ScratchFolder("mimic-ckpt")
        try FileManager.default.copyItem(atPath: TrainFixtures.models + "/" + name + "/config.json", toPath: scratch.file("config.json"))
        try SafeTensorsWriter.write(tensors.mapValues(TensorValues.init), to: scratch.file("model.safetensors"))
        return (scratch, try TrainFixtures.tensors(scratch.path))
    }

    @Test func aTransposedLlamaMatrixIsRefusedNamingTheTensor() throws {
        let name = "model.layers.1.mlp.gate_proj.weight"
        let (scratch, tensors) = try transposedFolder("tiny-llama", tensor: name)
        defer { withExtendedLifetime(scratch) {} }
        let config = try JSONDecoder().decode(LlamaConfig.self, from: Data(contentsOf: URL(fileURLWithPath: scratch.file("config.json"))))
        let error = #expect(throws: TrainError.self) { try TrainableLlama(config: config, tensors: tensors) }
        #expect(error == .shapeMismatch(tensor: name, expected: [160, 64], found: [64, 160]))
        print(error?.errorDescription ?? "")
        // Opened as a model folder for training, the loader refuses it too, naming the tensor.
        let opened = #expect(throws: (any Error).self) { _ = try TrainingRun.trainable(try OpenedModel(scratch.path)) }
        #expect(opened.map { "\($0.localizedDescription)" }?.contains(name) == true, "\(String(describing: opened))")
    }

    @Test func aTransposedGPT2MatrixIsRefusedNamingTheTensor() throws {
        let name = "h.0.mlp.c_fc.weight"
        let original = try TrainFixtures.tensors(TrainFixtures.models + "/tiny-gpt2")
        let key = try #require(original.keys.first { $0.hasSuffix(name) })
        let (scratch, tensors) = try transposedFolder("tiny-gpt2", tensor: key)
        let config = try JSONDecoder().decode(GPT2Config.self, from: Data(contentsOf: URL(fileURLWithPath: scratch.file("config.json"))))
        let error = #expect(throws: TrainError.self) { try TrainableGPT2(config: config, tensors: tensors) }
        #expect(error == .shapeMismatch(tensor: key, expected: [config.nEmbd, config.innerSize], found: [config.innerSize, config.nEmbd]))
    }

    @Test func optimizerMomentsOfAnotherShapeAreRefused() throws {
        let model = try TrainFixtures.tinyLlama()
        let optimizer = AdamW(parameters: model.parameters, options: AdamWOptions())
        var moments = optimizer.stateTensors()
        let name = "model.layers.0.mlp.down_proj.weight.exp_avg"
        let m = try #require(moments[name])
        moments[name] = Tensor(zeros: [m.shape[1], m.shape[0]])
        #expect(throws: TrainError.shapeMismatch(tensor: name, expected: m.shape, found: [m.shape[1], m.shape[0]])) {
            try optimizer.restore(state: moments, step: 1)
        }
    }
}
