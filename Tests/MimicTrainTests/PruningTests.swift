// Pruning: the pruned checkpoint loads, has the kept layer count, and its layer k holds the original's
// layer selection[k] exactly (other tensors unchanged); bad selections and outputs are typed errors.
import Foundation
import MimicModels
import MimicTensor
import MimicTestSupport
import Testing

@Suite struct PruningTests {
    /// The layer prefix of Llama (`model.layers.`) or GPT-2 (`transformer.h.`) names.
    static func split(_ name: String) -> (prefix: String, layer: Int, rest: String)? {
        for prefix in ["model.layers.", "transformer.h."] where name.hasPrefix(prefix) {
            let tail = name.dropFirst(prefix.count)
            guard let dot = tail.firstIndex(of: "."), let layer = Int(tail[..<dot]) else { return nil }
            return (prefix, layer, String(tail[tail.index(after: dot)...]))
        }
        return nil
    }

    static func parameters(_ model: any LanguageModel) throws -> [String: Tensor] {
        if let m = model as? LlamaModel { return m.hfParameters() }
        return try #require(model as? GPT2Model).hfParameters()
    }

    /// Layer k of the pruned checkpoint equals layer kept[k] of the original; everything else is unchanged.
    static func expectPruned(from original: [String: Tensor], to pruned: [String: Tensor], kept: [Int]) {
        var expected: [String: Tensor] = [:]
        for (name, tensor) in original {
            if let (prefix, layer, rest) = split(name) {
                if let k = kept.firstIndex(of: layer) { expected["\(prefix)\(k).\(rest)"] = tensor }
            } else {
                expected[name] = tensor
            }
        }
        #expect(Set(pruned.keys) == Set(expected.keys))
        for (name, tensor) in expected { #expect(pruned[name]?.array == tensor.array, "\(name)") }
    }

    @Test(arguments: [
        ("models/tiny-llama-q8_0.gguf", LayerSelection.list([1]), [1]),
        ("models/tiny-llama-q8_0.gguf", .everyOther, [0]),
        ("models/tiny-llama-f16.gguf", .first(1), [0]),
        ("models/tiny-gpt2", .list([1]), [1]),
        ("models/tiny-llama", .list([0, 1]), [0, 1]),
    ])
    func prunedCheckpointHoldsTheSelectedLayers(model: String, selection: LayerSelection, kept: [Int]) throws {
        let opened = try OpenedModel(Fixtures.path(model))
        let folder = try ScratchFolder("mimic-ckpt")
        let summary = try Pruning.prune(model: opened, keep: selection, to: folder.file("pruned"))
        #expect(summary.kept == kept && summary.originalLayerCount == 2)
        let pruned = try OpenedModel(folder.file("pruned"))
        #expect(pruned.model.summary.contains("\(kept.count) layers"))
        let prunedParameters = try Self.parameters(pruned.model)
        #expect(summary.parameterCount == prunedParameters.values.reduce(0) { $0 + $1.count })
        Self.expectPruned(from: try Self.parameters(opened.model), to: prunedParameters, kept: kept)
        let config = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: folder.file("pruned/config.json")))) as! [String: Any]
        #expect((config["num_hidden_layers"] ?? config["n_layer"]) as? Int == kept.count)
        #expect((pruned.tokenizer == nil) == (opened.tokenizer == nil))
    }

    /// The chat template of the source model travels into tokenizer_config.json.
    @Test func chatTemplateTravels() throws {
        let source = try ScratchFolder("mimic-ckpt")
        let template = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        let base = try OpenedModel(Fixtures.path("models/tiny-llama-q8_0.gguf"))
        let llama = try #require(base.model as? LlamaModel)
        try HFCheckpoint.write(folder: source.file("m"), config: .llama(llama.config), tensors: llama.hfParameters(),
                               tokenizer: base.tokenizer, chatTemplate: template, generation: HFGenerationConfig())
        let opened = try OpenedModel(source.file("m"))
        #expect(opened.chatTemplateSource == template)
        let out = try ScratchFolder("mimic-ckpt")
        try Pruning.prune(model: opened, keep: .first(1), to: out.file("p"))
        #expect(try OpenedModel(out.file("p")).chatTemplateSource == template)
    }

    @Test func badSelectionsAreTypedErrors() throws {
        #expect(try LayerSelection.everyOther.layers(outOf: 5) == [0, 2, 4])
        #expect(try LayerSelection.first(3).layers(outOf: 5) == [0, 1, 2])
        for bad in [LayerSelection.list([]), .list([0, 5]), .list([-1]), .list([2, 1]), .list([1, 1]), .first(0), .first(6)] {
            #expect(throws: CheckpointError.self, "\(bad)") { try bad.layers(outOf: 5) }
        }
        #expect(throws: CheckpointError.badLayerSelection("layer 5 does not exist; the model has 5 layers (0 to 4)")) {
            try LayerSelection.list([0, 5]).layers(outOf: 5)
        }
    }

    @Test func badOutputsAreTypedErrors() throws {
        let path = Fixtures.path("models/tiny-llama")
        let opened = try OpenedModel(path)
        #expect(throws: CheckpointError.sameFolder(path: path)) { try Pruning.prune(model: opened, keep: .first(1), to: path) }
        let folder = try ScratchFolder("mimic-ckpt")
        try Data("x".utf8).write(to: URL(fileURLWithPath: folder.file("x.txt")))
        #expect(throws: CheckpointError.notACheckpoint(path: folder.path)) {
            try Pruning.prune(model: opened, keep: .first(1), to: folder.path)
        }
    }
}
