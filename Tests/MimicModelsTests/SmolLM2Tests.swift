// SmolLM2-135M-Instruct (the real Q4_1 GGUF) against references on the same dequantized weights:
// logits and a greedy continuation from transformers (scripts/reference/smollm2_logits.py; tolerance 2e-3
// absolute on logits, identical greedy tokens), perplexity from llama.cpp's llama-perplexity on an F32 copy
// (scripts/reference/smollm2_perplexity.py; within 0.5%). Skipped when the model is not fetched, unless
// MIMIC_REQUIRE_ASSETS=1 (CI), where a missing model fails.
import Foundation
import MimicModels
import MimicTensor
import MimicTestSupport
import Testing

@Suite(.requires(.smolLM2), .serialized) struct SmolLM2Tests {
    static let logitTolerance = 2e-3

    func open() throws -> OpenedModel {
        try OpenedModel(FetchedAsset.smolLM2.require())
    }

    func check(_ row: UnsafePointer<Float>, vocab: Int, against golden: [String: Any], stride: Int, label: String) {
        let got = Array(UnsafeBufferPointer(start: row, count: vocab))
        #expect(argmax(got) == golden["argmax"] as! Int, "\(label): argmax")
        let m = Double(got.max()!)
        let lse = m + log(got.reduce(0.0) { $0 + exp(Double($1) - m) })
        #expect(abs(lse - (golden["logsumexp"] as! Double)) < Self.logitTolerance, "\(label): logsumexp")
        for pair in golden["top"] as! [[Double]] {
            #expect(abs(Double(got[Int(pair[0])]) - pair[1]) < Self.logitTolerance, "\(label): logit of \(Int(pair[0]))")
        }
        let strided = golden["strided"] as! [Double]
        let sampled = strided.indices.map { got[$0 * stride] }
        #expect(maxAbsDiff(sampled, strided) < Self.logitTolerance, "\(label): strided logits")
    }

    @Test func logitsMatchTransformersOnThreePrompts() throws {
        let opened = try open()
        let golden = try Fixtures.json("smollm2_logits.json")
        let stride = golden["stride"] as! Int
        let prompts = golden["prompts"] as! [[String: Any]]
        #expect(prompts.count >= 3)
        for p in prompts {
            let ids = p["ids"] as! [Int], name = p["name"] as! String
            let model = opened.model
            let logits = try model.forward(ids, cache: model.makeCache(capacity: ids.count), logits: .all)
            check(logits.row(0), vocab: model.vocabularySize, against: p["first"] as! [String: Any], stride: stride, label: "\(name) first")
            check(logits.row(ids.count - 1), vocab: model.vocabularySize, against: p["last"] as! [String: Any], stride: stride,
                  label: "\(name) last")
        }
    }

    @Test func greedyContinuationOf64TokensIsIdentical() throws {
        let opened = try open()
        let golden = try Fixtures.json("smollm2_logits.json")
        let greedy = golden["greedy"] as! [String: Any]
        let prompt = (golden["prompts"] as! [[String: Any]]).first { $0["name"] as? String == greedy["prompt"] as? String }!
        let expected = greedy["output_ids"] as! [Int]
        opened.model.exactActivations = true  // the reference keeps activations in FP32
        let new = try opened.model.generateTokens(prompt: prompt["ids"] as! [Int], maxTokens: expected.count,
                                                  sampling: SamplingOptions(), stopTokens: [])
        #expect(new == expected)
    }

    /// The default, faster generation (activations rounded to 8 bits as llama.cpp does) still gives the answer.
    @Test func fastGenerationGivesTheSameAnswer() throws {
        let opened = try open()
        let golden = try Fixtures.json("smollm2_logits.json")
        let greedy = golden["greedy"] as! [String: Any]
        let prompt = (golden["prompts"] as! [[String: Any]]).first { $0["name"] as? String == greedy["prompt"] as? String }!
        let expected = Array((greedy["output_ids"] as! [Int]).prefix(8))  // "The capital of France is Paris.<|im_end|>"
        #expect(!opened.model.exactActivations)
        let new = try opened.model.generateTokens(prompt: prompt["ids"] as! [Int], maxTokens: 8, sampling: SamplingOptions(),
                                                  stopTokens: [])
        #expect(new == expected)
    }

    @Test(arguments: [128, 256])
    func perplexityAgreesWithLlamaCpp(context: Int) throws {
        let opened = try open()
        let golden = try Fixtures.json("smollm2_perplexity.json")
        let tokens = (golden["tokenization"] as! [String: Any])["ids"] as! [Int]
        let run = (golden["llama_cpp_runs"] as! [[String: Any]]).first { $0["n_ctx"] as? Int == context && $0["variant"] as? String == "default" }!
        let result = try opened.model.perplexity(tokens: tokens, context: context, bos: nil)
        let reference = run["final_ppl"] as! Double
        #expect(result.chunkEstimates.count == run["n_chunks"] as! Int)
        #expect(result.scoredTokens == run["n_scored"] as! Int)
        #expect(abs(result.perplexity / reference - 1) < 0.005, "Mimic \(result.perplexity) vs llama.cpp \(reference)")
    }
}
