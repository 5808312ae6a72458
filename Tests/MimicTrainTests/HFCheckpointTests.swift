// HF checkpoints: dense parameters of GGUF and HF models written with HFCheckpoint and loaded back give the
// logits of the model they came from; the parameters match the HF originals; replacement is atomic.
// Tolerance: 1e-4 absolute on logits (both sides run FP32 activations; the GGUF side dequantizes the same values).
import Foundation
import MimicCore
import MimicModels
import MimicTensor
import MimicTestSupport
import MimicTokenizers
import Testing

@Suite struct HFCheckpointTests {
    static let tokens = [1, 5, 17, 300, 42, 7, 99, 12, 3, 250, 11, 64]  // 12 > the fused-batch limit: the sgemm path

    /// Logits at every position, with FP32 activations.
    static func logits(_ model: any LanguageModel, _ ids: [Int] = tokens) throws -> [Float] {
        model.exactActivations = true
        return try model.forward(ids, cache: model.makeCache(capacity: 64), logits: .all).array
    }

    static func maxDiff(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        // A NaN on either side counts as infinitely far (max would drop it: NaN > x is false).
        return zip(a, b).reduce(0) { let d = abs($1.0 - $1.1); return d.isNaN ? .infinity : max($0, d) }
    }

    @Test(arguments: ["tiny-llama-q8_0.gguf", "tiny-llama-f16.gguf", "tiny-gpt2-f32.gguf"])
    func ggufModelWrittenAsCheckpointGivesTheSameLogits(file: String) throws {
        let opened = try OpenedModel(Fixtures.path("models/" + file))
        let folder = try ScratchFolder("mimic-ckpt")
        let out = folder.file("ckpt")
        try HFCheckpoint.write(model: opened, to: out)
        let reloaded = try HFModelFolder.loadModel(folder: out)
        #expect(Self.maxDiff(try Self.logits(opened.model), try Self.logits(reloaded)) < 1e-4)
        // One token at a time through the fused kernels too.
        #expect(Self.maxDiff(try Self.logits(opened.model, [5]), try Self.logits(reloaded, [5])) < 1e-4)
        let names = Set(try SafeTensorsSource(folder: out).names)
        #expect(names.contains("lm_head.weight") == file.hasPrefix("tiny-llama"), "GPT-2's output.weight is a copy of wte: tied")
        for f in ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + f), "\(f)")
        }
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/config.json"))) as! [String: Any]
        #expect(config["torch_dtype"] as? String == "float32")
        #expect(config["architectures"] as? [String] == [file.hasPrefix("tiny-llama") ? "LlamaForCausalLM" : "GPT2LMHeadModel"])
        let tokenizer = try #require(try OpenedModel(out).tokenizer)
        #expect(tokenizer.vocabularySize == opened.tokenizer?.vocabularySize)
    }

    /// The GGUF was converted from the HF folder (llama.cpp's Q/K permutation, F16 rounding): hfParameters undoes it.
    @Test func ggufParametersMatchTheHFOriginal() throws {
        let gguf = try #require(try GGUFFile(path: Fixtures.path("models/tiny-llama-f16.gguf")).loadModel() as? LlamaModel)
        let original = try SafeTensorsSource(folder: Fixtures.path("models/tiny-llama"))
        let params = gguf.hfParameters()
        #expect(Set(params.keys) == Set(original.names))
        for (name, tensor) in params {
            let expected = try original.floats(name, count: tensor.count).array
            let worst = zip(tensor.array, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
            #expect(worst < 1e-3, "\(name): \(worst)")
        }
    }

    /// HF folders: parameters come back bit for bit, and so do the logits.
    @Test(arguments: ["tiny-llama", "tiny-gpt2"])
    func hfFolderRoundTripsExactly(name: String) throws {
        let path = Fixtures.path("models/" + name)
        let model = try HFModelFolder.loadModel(folder: path)
        let original = try SafeTensorsSource(folder: path)
        let params: [String: Tensor]
        let config: HFModelConfig
        let data = try Data(contentsOf: URL(fileURLWithPath: path + "/config.json"))
        if let llama = model as? LlamaModel {
            (params, config) = (llama.hfParameters(), .llama(try JSONDecoder().decode(LlamaConfig.self, from: data)))
        } else {
            let gpt2 = try #require(model as? GPT2Model)
            (params, config) = (gpt2.hfParameters(), .gpt2(try JSONDecoder().decode(GPT2Config.self, from: data)))
        }
        for (key, tensor) in params {
            #expect(try original.floats(key, count: tensor.count).array == tensor.array, "\(key)")
        }
        let folder = try ScratchFolder("mimic-ckpt")
        try HFCheckpoint.write(folder: folder.file("out"), config: config, tensors: params, tokenizer: nil, chatTemplate: nil,
                               generation: HFGenerationConfig(bosTokenID: 1, eosTokenIDs: [2], maxNewTokens: 32))
        let reloaded = try HFModelFolder.loadModel(folder: folder.file("out"))
        #expect(try Self.logits(model) == (try Self.logits(reloaded)))
        let generation = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: folder.file("out/generation_config.json")))) as! [String: Int]
        #expect(generation == ["bos_token_id": 1, "eos_token_id": 2, "max_new_tokens": 32])
        #expect(!FileManager.default.fileExists(atPath: folder.file("out/tokenizer.json")))
    }

    /// A GPT-2 with its own lm_head.weight is written untied and read back untied.
    @Test func untiedGPT2HeadIsKept() throws {
        let path = Fixtures.path("models/tiny-gpt2")
        let model = try #require(try HFModelFolder.loadModel(folder: path) as? GPT2Model)
        var params = model.hfParameters()
        let wte = try #require(params["transformer.wte.weight"])
        params["lm_head.weight"] = Tensor(shape: wte.shape, values: wte.array.map { $0 * 0.5 })
        let folder = try ScratchFolder("mimic-ckpt")
        try HFCheckpoint.write(folder: folder.path + "/out", config: .gpt2(model.config), tensors: params, tokenizer: nil,
                               chatTemplate: nil, generation: HFGenerationConfig())
        let reloaded = try #require(try HFModelFolder.loadModel(folder: folder.path + "/out") as? GPT2Model)
        let halved = try Self.logits(model).map { $0 * 0.5 }
        #expect(Self.maxDiff(halved, try Self.logits(reloaded)) < 1e-5)
        #expect(reloaded.hfParameters()["lm_head.weight"] != nil)
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/config.json"))) as! [String: Any]
        #expect(config["tie_word_embeddings"] as? Bool == false)
    }

    @Test func anExistingCheckpointIsReplacedAndOtherFoldersAreRefused() throws {
        let opened = try OpenedModel(Fixtures.path("models/tiny-llama-q8_0.gguf"))
        let folder = try ScratchFolder("mimic-ckpt")
        let out = folder.file("ckpt")
        try HFCheckpoint.write(model: opened, to: out, layers: [0])
        try HFCheckpoint.write(model: opened, to: out)
        #expect(try OpenedModel(out).model.summary.hasPrefix("llama: 2 layers"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["ckpt"], "no temporary folders left")

        let other = folder.file("notes")
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: false)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: other + "/notes.txt"))
        #expect(throws: CheckpointError.notACheckpoint(path: other)) { try HFCheckpoint.write(model: opened, to: other) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: other) == ["notes.txt"])
        let file = folder.file("file.txt")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: CheckpointError.notACheckpoint(path: file)) { try HFCheckpoint.write(model: opened, to: file) }
    }
}
