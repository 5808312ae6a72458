// The server over the real SmolLM2-135M-Instruct: greedy chat equals the local engine, echo scoring equals
// `loglikelihood`, and concurrent requests equal the same requests alone. Skipped when the model is not fetched,
// unless MIMIC_REQUIRE_ASSETS=1, where a missing model fails.
import Foundation
import MimicModels
import MimicServer
import MimicTeacher
import MimicTestSupport
import Testing

@Suite(.requires(.smolLM2), .serialized) struct SmolLM2ServerTests {
    @Test func greedyChatScoringAndConcurrencyMatchTheLocalEngine() async throws {
        let opened = try OpenedModel(FetchedAsset.smolLM2.require())
        try await withServer(opened, name: "smollm2-135m-instruct") { s in
            let questions = ["What is the capital of France?", "Name a primary color.", "Say hello.", "What is 3 times 4?"]
            // With FP32 activations the server's batched decode equals the local generator's one-token forward.
            opened.model.exactActivations = true
            for q in questions {
                let answer = try await s.chat(q, maxTokens: 24)
                #expect(answer.choices[0].message.content == (try localChat(opened, q, maxTokens: 24)).text, "\(q)")
            }
            // With 8-bit activations (the default), answers together equal answers alone.
            opened.model.exactActivations = false
            var alone: [String] = []
            for q in questions { alone.append(try await s.chat(q, maxTokens: 24).choices[0].message.content) }
            let together = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for (i, q) in questions.enumerated() { group.addTask { (i, try await s.chat(q, maxTokens: 24).choices[0].message.content) } }
                var out = [String](repeating: "", count: questions.count)
                for try await (i, text) in group { out[i] = text }
                return out
            }
            #expect(together == alone)

            let tokenizer = try opened.requireTokenizer()
            let context = tokenizer.encode("Question: What is the capital of France?\nAnswer:", addBOS: false, parseSpecial: false)
            let continuation = tokenizer.encode(" Paris", addBOS: false, parseSpecial: false)
            let body = try JSONSerialization.data(withJSONObject: [
                "model": "smollm2-135m-instruct", "prompt": [context + continuation], "max_tokens": 0, "echo": true, "logprobs": 1,
            ] as [String: Any])
            let lp = try #require(try await s.send("/v1/completions", body: body).decode(CompletionResponse.self).choices.first?.logprobs)
            let served = lp.tokenLogprobs[context.count...].reduce(0.0) { $0 + ($1 ?? .nan) }
            let local = try opened.model.loglikelihood(context: context, continuation: continuation)
            #expect(abs(served - local.logProbability) < 1e-4)
        }
    }
}
