// Tiny random GPT-2 and Llama models (HF safetensors) against transformers' logits.
// Goldens: scripts/reference/tiny_models.py (float64 forward of the float32 weights); tolerance 1e-4 absolute.
import Foundation
import MimicModels
import MimicTensor
import Testing

@Suite struct TinyModelTests {
    static let folders = ["tiny-gpt2", "tiny-llama", "tiny-llama-sharded", "tiny-llama3-rope"]
    static let tolerance = 1e-4

    @Test(arguments: folders)
    func logitsAtEveryPositionMatchTransformers(folder: String) throws {
        let model = try HFModelFolder.loadModel(folder: Fixtures.resources + "/" + folder)
        let golden = try Fixtures.json(folder + "/golden.json")
        for seq in golden["sequences"] as! [[String: Any]] {
            let ids = seq["input_ids"] as! [Int]
            let expected = seq["logits"] as! [[Double]]
            let logits = try model.forward(ids, cache: model.makeCache(capacity: nil), logits: .all)
            #expect(logits.shape == [ids.count, model.vocabularySize])
            for (t, row) in expected.enumerated() {
                let got = UnsafeBufferPointer(start: logits.row(t), count: row.count)
                #expect(maxAbsDiff(got, row) < Self.tolerance, "\(folder) position \(t)")
            }
        }
    }

    /// Prefill of a prefix and then one token at a time through the KV cache gives the same logits.
    @Test(arguments: folders)
    func incrementalDecodingMatchesFullForward(folder: String) throws {
        let model = try HFModelFolder.loadModel(folder: Fixtures.resources + "/" + folder)
        let golden = try Fixtures.json(folder + "/golden.json")
        let seq = (golden["sequences"] as! [[String: Any]])[1]
        let ids = seq["input_ids"] as! [Int], expected = seq["logits"] as! [[Double]]
        let cache = model.makeCache(capacity: nil)
        let split = 11  // > the fused-batch limit, so the prefix takes the sgemm path
        _ = try model.forward(Array(ids[..<split]), cache: cache, logits: .none)
        for t in split..<ids.count {
            let logits = try model.forward([ids[t]], cache: cache, logits: .last)
            #expect(maxAbsDiff(UnsafeBufferPointer(start: logits.data, count: logits.count), expected[t]) < Self.tolerance,
                    "\(folder) position \(t)")
        }
        #expect(cache.length == ids.count)
    }

    @Test(arguments: folders)
    func greedyContinuationMatchesTransformers(folder: String) throws {
        let model = try HFModelFolder.loadModel(folder: Fixtures.resources + "/" + folder)
        let greedy = try Fixtures.json(folder + "/golden.json")["greedy"] as! [String: Any]
        let prompt = greedy["input_ids"] as! [Int], expected = greedy["output_ids"] as! [Int]  // the new tokens
        let new = try model.generateTokens(prompt: prompt, maxTokens: expected.count, sampling: SamplingOptions(), stopTokens: [])
        #expect(new == expected)
    }

    @Test func contextOverflowIsAnError() throws {
        let model = try HFModelFolder.loadModel(folder: Fixtures.resources + "/tiny-llama")
        let cache = model.makeCache(capacity: 4)
        #expect(throws: ModelError.contextOverflow(needed: 5, capacity: 4)) {
            try model.forward([1, 2, 3, 4, 5], cache: cache, logits: .last)
        }
        #expect(throws: ModelError.tokenOutOfRange(token: 512, vocabulary: 512)) {
            try model.forward([512], cache: cache, logits: .last)
        }
    }
}
