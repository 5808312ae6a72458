// Tiny Llama and GPT-2 models in GGUF (Q8_0, F16, F32), written as llama.cpp's converter writes them (Q/K
// permuted for interleaved RoPE, GPT-2's Conv1D transposed), against float64 references on the same
// dequantized weights. Goldens: scripts/reference/gguf_fixtures.py; tolerance 1e-4, greedy ids equal.
import Foundation
import MimicModels
import MimicTensor
import Testing

@Suite struct GGUFModelTests {
    static let tolerance = 1e-4

    static func cases() throws -> [(String, [[String: Any]], [String: Any])] {
        let golden = try Fixtures.json("tiny-llama-gguf-golden.json")
        var out = (golden["files"] as! [[String: Any]]).map { f in
            (f["file"] as! String, f["sequences"] as! [[String: Any]], f["greedy"] as! [String: Any])
        }
        let gpt2 = try Fixtures.json("tiny-gpt2/golden.json")
        out.append(("tiny-gpt2-f32.gguf", gpt2["sequences"] as! [[String: Any]], gpt2["greedy"] as! [String: Any]))
        return out
    }

    @Test func logitsGreedyAndIncrementalDecodingMatchReferences() throws {
        for (file, sequences, greedy) in try Self.cases() {
            let opened = try OpenedModel(Fixtures.resources + "/" + file)
            let model = opened.model
            model.exactActivations = true  // the references keep activations in full precision
            for seq in sequences {
                let ids = seq["input_ids"] as! [Int], expected = seq["logits"] as! [[Double]]
                let logits = try model.forward(ids, cache: model.makeCache(capacity: nil), logits: .all)
                for (t, row) in expected.enumerated() {
                    #expect(maxAbsDiff(UnsafeBufferPointer(start: logits.row(t), count: row.count), row) < Self.tolerance, "\(file) position \(t)")
                }
                let cache = model.makeCache(capacity: nil)
                for (t, id) in ids.enumerated() {
                    let step = try model.forward([id], cache: cache, logits: .last)
                    #expect(maxAbsDiff(UnsafeBufferPointer(start: step.data, count: step.count), expected[t]) < Self.tolerance,
                            "\(file) step \(t)")
                }
            }
            let new = try model.generateTokens(prompt: greedy["input_ids"] as! [Int], maxTokens: greedy["new_tokens"] as! Int,
                                               sampling: SamplingOptions(), stopTokens: [])
            #expect(new == greedy["output_ids"] as! [Int], "\(file) greedy")
        }
    }

    @Test func ggufAndSafetensorsGPT2AreTheSameModel() throws {
        let a = try OpenedModel(Fixtures.resources + "/tiny-gpt2-f32.gguf").model
        let b = try OpenedModel(Fixtures.resources + "/tiny-gpt2").model
        let ids = [3, 1, 4, 1, 5, 9, 2, 6]
        let la = try a.forward(ids, cache: a.makeCache(capacity: nil), logits: .all)
        let lb = try b.forward(ids, cache: b.makeCache(capacity: nil), logits: .all)
        #expect(maxAbsDiff(UnsafeBufferPointer(start: la.data, count: la.count), lb.array.map(Double.init)) < 1e-5)
    }
}

/// The hand-made bad files of Resources/bad (see its README): each gives the error that names the problem.
@Suite struct BadFixtureTests {
    func path(_ name: String) -> String { Fixtures.resources + "/bad/" + name }

    @Test func badGGUFFiles() throws {
        #expect(throws: ModelError.badMagic(file: path("wrong-magic.gguf"), found: "'GGUG'")) { try GGUFFile(path: path("wrong-magic.gguf")) }
        #expect {
            try GGUFFile(path: path("truncated.gguf"))
        } throws: { e in
            if case .truncated(let f, let off, _) = e as? ModelError { return f == path("truncated.gguf") && off == 349 }
            return false
        }
        #expect(throws: ModelError.tensorOutOfBounds(file: path("offset-past-end.gguf"), tensor: "b.weight", end: 672, fileSize: 608)) {
            try GGUFFile(path: path("offset-past-end.gguf"))
        }
        #expect(throws: ModelError.unknownTensorType(file: path("unknown-type.gguf"), tensor: "a.weight", type: "IQ2_XXS")) {
            try GGUFFile(path: path("unknown-type.gguf"))
        }
        #expect(throws: ModelError.unknownTensorType(file: path("unknown-type-id.gguf"), tensor: "a.weight", type: "type 99")) {
            try GGUFFile(path: path("unknown-type-id.gguf"))
        }
    }

    @Test func badSafetensorsFiles() throws {
        #expect(throws: ModelError.tensorOutOfBounds(file: path("lying-header.safetensors"), tensor: "w", end: 136, fileSize: 88)) {
            try SafeTensorsFile(path: path("lying-header.safetensors"))
        }
        #expect(throws: ModelError.invalid(file: path("bad-json.safetensors"), field: "header", problem: "not a JSON object")) {
            try SafeTensorsFile(path: path("bad-json.safetensors"))
        }
    }
}
