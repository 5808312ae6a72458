// The server over a tiny random Llama: chat and completion answers equal the local engine's, streaming equals
// non-streaming, echo+logprobs equal local scoring, concurrent requests equal the same requests run alone, and
// the batched decode step equals sequential forwards.
import Foundation
import MimicCore
import MimicModels
import MimicServer
import MimicTeacher
import MimicTestSupport
import MimicTensor
import MimicTokenizers
import Testing

/// The local engine's greedy chat answer for one user message.
func localChat(_ opened: OpenedModel, _ user: String, maxTokens: Int) throws -> GenerationResult {
    let format = try opened.chatFormat()
    let generator = TextGenerator(model: opened.model, tokenizer: try opened.requireTokenizer(),
                                  extraStopTokens: format.template.stopStrings)
    return try generator.generate(prompt: format.prompt([ChatMessage(role: "user", content: user)]),
                                  options: GenerationOptions(maxTokens: maxTokens, stopStrings: format.template.stopStrings),
                                  addBOS: false)
}

let userPrompts = ["Hello there!", "What is 2+2?", "Tell me a story.", "abc", "Why is the sky blue?",
                   "List three colors", "x", "The quick brown fox", "Good night", "Q: capital of France?\nA:"]

/// The fixture with FP32 activations: the server's batched decode and `TextGenerator`'s one-token forward then
/// differ only by summation order (~1e-6), so their greedy answers agree. (With 8-bit activations a rounding
/// flip can change a logit by more; batch invariance is what holds there, see `batchedDecodeIsBatchInvariant`.)
func exactFixture() throws -> OpenedModel {
    let opened = try TinyChatModel.open()
    opened.model.exactActivations = true
    return opened
}

@Suite(.serialized) struct ServerTests {
    @Test func chatAnswerIsTheLocalGreedyAnswer() async throws {
        try await withServer(try exactFixture()) { s in
            for user in userPrompts.prefix(3) {
                let answer = try await s.chat(user, maxTokens: 20)
                let local = try localChat(s.opened, user, maxTokens: 20)
                #expect(answer.choices.count == 1)
                #expect(answer.choices[0].message.content == local.text)
                #expect(answer.choices[0].message.role == "assistant")
                #expect(answer.choices[0].finishReason == local.finishReason.rawValue)
                #expect(answer.usage?.promptTokens == local.promptTokens)
                #expect(answer.usage?.completionTokens == local.tokens.count)
                #expect(answer.model == "tiny" && answer.object == "chat.completion")
            }
        }
    }

    @Test func completionAnswerIsTheLocalGreedyAnswer() async throws {
        try await withServer(try exactFixture()) { s in
            let answer = try await s.post("/v1/completions", json: #"{"model": "tiny", "prompt": ["Once upon", "abc"], "max_tokens": 15, "temperature": 0}"#)
            #expect(answer.status == 200)
            let response = try answer.decode(CompletionResponse.self)
            // Completions stop where chat does: at EOS and the chat template's end-of-turn tokens.
            let generator = TextGenerator(model: s.opened.model, tokenizer: try s.opened.requireTokenizer(),
                                          extraStopTokens: try s.opened.chatFormat().template.stopStrings)
            #expect(response.choices.map(\.index) == [0, 1])
            var completion = 0
            for (choice, prompt) in zip(response.choices, ["Once upon", "abc"]) {
                let local = try generator.generate(prompt: prompt, options: GenerationOptions(maxTokens: 15))
                #expect(choice.text == local.text)
                #expect(choice.finishReason == local.finishReason.rawValue)
                // A choice that ended at a stop token counts it as generated (as vLLM does); its text is not shown.
                completion += local.tokens.count + (local.finishReason == .stop ? 1 : 0)
            }
            #expect(response.usage == Usage(promptTokens: "Once upon".count + "abc".count, completionTokens: completion))
        }
    }

    @Test func stopStringsCutTheAnswer() async throws {
        try await withServer { s in
            let free = try await s.post("/v1/completions", json: #"{"model": "tiny", "prompt": "abc", "max_tokens": 30, "temperature": 0}"#)
                .decode(CompletionResponse.self).choices[0].text
            try #require(free.count >= 12)
            let stop = String(Array(free)[8..<11])
            let cut = try await s.post("/v1/completions", CompletionRequest(model: "tiny", prompt: .text("abc"), maxTokens: 30,
                                                                              temperature: 0, stop: ["zzzz", stop]))
                .decode(CompletionResponse.self).choices[0]
            let expected = free.range(of: stop).map { String(free[..<$0.lowerBound]) } ?? free
            #expect(cut.text == expected)
            #expect(cut.finishReason == "stop")
        }
    }

    @Test func streamingEqualsNonStreaming() async throws {
        try await withServer() { s in
            let whole = try await s.chat("Tell me a story.", maxTokens: 30)
            let streamed = try await s.post("/v1/chat/completions", json: """
                {"model": "tiny", "messages": [{"role": "user", "content": "Tell me a story."}], "max_tokens": 30,
                 "temperature": 0, "stream": true, "stream_options": {"include_usage": true}}
                """)
            #expect(streamed.status == 200)
            let chunks = try streamed.events().map { try JSONDecoder().decode(ChatCompletionChunk.self, from: $0) }
            #expect(chunks.first?.choices.first?.delta.role == "assistant")
            #expect(chunks.flatMap(\.choices).compactMap(\.delta.content).joined() == whole.choices[0].message.content)
            #expect(chunks.flatMap(\.choices).compactMap(\.finishReason) == [whole.choices[0].finishReason ?? "?"])
            #expect(chunks.last?.usage == whole.usage && chunks.last?.choices.isEmpty == true)
            #expect(Set(chunks.map(\.id)).count == 1)

            let plain = try await s.post("/v1/completions", json: #"{"model": "tiny", "prompt": "Once", "max_tokens": 25, "temperature": 0}"#)
            let streamedText = try await s.post("/v1/completions", json: #"{"model": "tiny", "prompt": "Once", "max_tokens": 25, "temperature": 0, "stream": true}"#)
            let pieces = try streamedText.events().map { try JSONDecoder().decode(CompletionResponse.self, from: $0) }
            let expected = try plain.decode(CompletionResponse.self).choices[0]
            #expect(pieces.flatMap(\.choices).map(\.text).joined() == expected.text)
            #expect(pieces.flatMap(\.choices).compactMap(\.finishReason) == [expected.finishReason ?? "?"])
        }
    }

    @Test func echoLogprobsEqualLocalScoring() async throws {
        try await withServer() { s in
            let tokenizer = try s.opened.requireTokenizer(), model = s.opened.model
            let text = "The cat sat on the mat."
            let ids = tokenizer.encode(text, addBOS: false, parseSpecial: true)
            let answer = try await s.post("/v1/completions", json: """
                {"model": "tiny", "prompt": \(String(reflecting: text)), "max_tokens": 0, "echo": true, "logprobs": 3}
                """)
            #expect(answer.status == 200)
            let choice = try answer.decode(CompletionResponse.self).choices[0]
            #expect(choice.text == text)
            let lp = try #require(choice.logprobs)
            #expect(lp.tokens == ids.map { tokenizer.decode([$0]) })
            #expect(lp.tokenLogprobs.count == ids.count && lp.tokenLogprobs[0] == nil)
            #expect(lp.textOffset == Array(0..<ids.count))   // one character per token in this vocabulary
            #expect(lp.topLogprobs?[0] == nil)
            // Every token against a direct forward over the same input (the prompt less its last token) and log-softmax.
            let logits = try model.forward(Array(ids.dropLast()), cache: model.makeCache(capacity: ids.count), logits: .all)
            for k in 1..<ids.count {
                let row = Array(UnsafeBufferPointer(start: logits.row(k - 1), count: model.vocabularySize)).map(Double.init)
                let m = row.max() ?? 0, lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
                let served = try #require(lp.tokenLogprobs[k])
                #expect(abs(served - (row[ids[k]] - lse)) < 1e-4, "token \(k)")
                let top = try #require(lp.topLogprobs?[k])
                // The 3 most likely tokens, and the chosen one when it is not among them ("up to logprobs + 1").
                let better = row.filter { $0 > row[ids[k]] }.count
                #expect(top.count == (better < 3 ? 3 : 4), "token \(k): \(top)")
                #expect(top[tokenizer.decode([ids[k]])] == served, "token \(k)")
                #expect(abs((top.values.max() ?? 0) - (m - lse)) < 1e-4, "token \(k) top")
            }
            // Any context/continuation split sums to Scoring.loglikelihood (which runs that same input).
            for split in [1, 5, 10, ids.count - 1] {
                let local = try model.loglikelihood(context: Array(ids[..<split]), continuation: Array(ids[split...]))
                let sum = lp.tokenLogprobs[split...].reduce(0.0) { $0 + ($1 ?? .nan) }
                #expect(abs(sum - local.logProbability) < 1e-4, "split \(split)")
            }
            #expect(try answer.decode(CompletionResponse.self).usage == Usage(promptTokens: ids.count, completionTokens: 0))
        }
    }

    /// lm-evaluation-harness's local-completions: token-id prompts, max_tokens 1, echo, logprobs 1; it sums
    /// token_logprobs[ctxlen:-1] and calls a continuation greedy when each token's logprob is its top one.
    @Test func lmEvalStyleScoringOfTokenPrompts() async throws {
        try await withServer() { s in
            let tokenizer = try s.opened.requireTokenizer(), model = s.opened.model
            let pairs = [("Question: 2+2=", " 4"), ("The sky is", " blue today"), ("abc", "def")]
            let contexts = pairs.map { tokenizer.encode($0.0, addBOS: false, parseSpecial: false) }
            let continuations = pairs.map { tokenizer.encode($0.1, addBOS: false, parseSpecial: false) }
            let prompts = zip(contexts, continuations).map { $0 + $1 }
            let body = try JSONSerialization.data(withJSONObject: [
                "model": "tiny", "prompt": prompts, "max_tokens": 1, "temperature": 0, "logprobs": 1, "echo": true, "seed": 1234,
            ] as [String: Any])
            let answer = try await s.send("/v1/completions", body: body)
            #expect(answer.status == 200)
            let choices = try answer.decode(CompletionResponse.self).choices.sorted { $0.index < $1.index }
            #expect(choices.count == pairs.count)
            for (i, choice) in choices.enumerated() {
                let lp = try #require(choice.logprobs)
                #expect(lp.tokenLogprobs.count == prompts[i].count + 1)
                let scored = lp.tokenLogprobs[contexts[i].count..<(lp.tokenLogprobs.count - 1)]
                let tops = lp.topLogprobs?[contexts[i].count..<(lp.tokenLogprobs.count - 1)] ?? []
                let local = try model.loglikelihood(context: contexts[i], continuation: continuations[i])
                #expect(abs(scored.reduce(0.0) { $0 + ($1 ?? .nan) } - local.logProbability) < 1e-4)
                let greedy = zip(scored, tops).allSatisfy { lp, top in lp == top?.values.max() }
                #expect(greedy == local.isGreedy)
            }
        }
    }

    @Test func concurrentRequestsGiveTheirSequentialAnswers() async throws {
        for parallel in [16, 3] {
            try await withServer(parallel: parallel) { s in
                var alone: [String] = []
                for user in userPrompts { alone.append(try await s.chat(user, maxTokens: 24).choices[0].message.content) }
                let together = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                    for (i, user) in userPrompts.enumerated() {
                        group.addTask { (i, try await s.chat(user, maxTokens: 24).choices[0].message.content) }
                    }
                    var out = [String](repeating: "", count: userPrompts.count)
                    for try await (i, text) in group { out[i] = text }
                    return out
                }
                #expect(together == alone, "parallel \(parallel)")
                #expect(Set(alone).count > 1, "the prompts should give different answers")
            }
        }
    }

    @Test func batchedDecodeMatchesSequentialForward() throws {
        let model = try exactFixture().model
        let prompts = [[5, 6, 7, 8, 9], [40], [12, 13, 14, 80, 81, 82, 83, 3, 4], [50, 51]]
        let batched = prompts.map { _ in model.makeCache(capacity: 32) }
        let single = prompts.map { _ in model.makeCache(capacity: 32) }
        for (i, p) in prompts.enumerated() {
            _ = try model.forward(p, cache: batched[i], logits: .none)
            _ = try model.forward(p, cache: single[i], logits: .none)
        }
        #expect(model is any BatchedDecoding)
        var next = [20, 21, 22, 23]
        for _ in 0..<4 {
            let rows = try model.decodeStep(next, caches: batched)
            for (b, cache) in single.enumerated() {
                let ref = try model.forward([next[b]], cache: cache, logits: .last)
                let got = UnsafeBufferPointer(start: rows.row(b), count: model.vocabularySize)
                let want = UnsafeBufferPointer(start: ref.data, count: model.vocabularySize)
                #expect(zip(got, want).map { abs($0 - $1) }.max() ?? 1 < 1e-4)
                #expect(batched[b].length == cache.length)
            }
            next = (0..<4).map { argmax(Array(UnsafeBufferPointer(start: rows.row($0), count: model.vocabularySize))) }
        }
    }

    /// With 8-bit activations: a sequence's logits are bitwise the same decoded alone, with one other sequence,
    /// with six, or with eleven (more than the fused kernels' few rows: a decode step's own limit), at every step.
    @Test func batchedDecodeIsBatchInvariant() throws {
        let model = try TinyChatModel.open().model
        #expect(!model.exactActivations)
        let prompts = [[5, 6, 7], [40, 41, 42, 43], [12], [80, 81], [60, 61, 62], [33, 34], [90], [7, 8], [70, 71, 72],
                       [14], [15, 16], [94, 93, 92, 91, 90]]
        #expect(prompts.count > WeightMatrix.fusedBatchLimit && prompts.count <= WeightMatrix.decodeBatchLimit)
        var rows: [[[Float]]] = []   // [company][step] logits of sequence 0
        for company in [1, 2, 7, prompts.count] {
            let caches = prompts.prefix(company).map { _ in model.makeCache(capacity: 32) }
            for (p, cache) in zip(prompts, caches) { _ = try model.forward(p, cache: cache, logits: .none) }
            var next = Array((20..<(20 + company))), steps: [[Float]] = []
            for _ in 0..<5 {
                let logits = try model.decodeStep(next, caches: caches)
                steps.append(Array(UnsafeBufferPointer(start: logits.row(0), count: model.vocabularySize)))
                next = (0..<company).map { argmax(Array(UnsafeBufferPointer(start: logits.row($0), count: model.vocabularySize))) }
            }
            rows.append(steps)
        }
        #expect(rows[0] == rows[1])
        #expect(rows[0] == rows[2])
        #expect(rows[0] == rows[3])
    }

    @Test func modelsAndHealth() async throws {
        try await withServer(name: "my-model") { s in
            let models = try await s.send("/v1/models", method: .GET).decode(ModelList.self)
            #expect(models.data.map(\.id) == ["my-model"] && models.object == "list")
            #expect(try await s.send("/health", method: .GET).status == 200)
            #expect(try await s.send("/v1/models/my-model", method: .GET).status == 200)
            #expect(try await s.send("/v1/models/other", method: .GET).status == 404)
            #expect(s.server.baseURL == "http://127.0.0.1:\(s.server.port)/v1" && s.server.port > 0)
        }
    }

    @Test func seededSamplingRepeatsAndChoicesAreCounted() async throws {
        try await withServer() { s in
            let request = ChatCompletionRequest(model: "tiny", messages: [APIMessage(role: "user", content: "Hi")],
                                                temperature: 1.5, maxTokens: 16, n: 3, seed: 42)
            let first = try await s.post("/v1/chat/completions", request).decode(ChatCompletionResponse.self)
            let second = try await s.post("/v1/chat/completions", request).decode(ChatCompletionResponse.self)
            #expect(first.choices.map(\.index) == [0, 1, 2])
            #expect(first.choices.map(\.message.content) == second.choices.map(\.message.content))
            #expect(Set(first.choices.map(\.message.content)).count > 1, "choices are drawn with different seeds")
            let tokenizer = try s.opened.requireTokenizer()
            let counted = first.choices.reduce(0) { $0 + tokenizer.encode($1.message.content, addBOS: false, parseSpecial: true).count }
            #expect((first.usage?.completionTokens ?? 0) >= counted)
        }
    }

    @Test func chatLogprobsDescribeTheGeneratedTokens() async throws {
        try await withServer() { s in
            let request = ChatCompletionRequest(model: "tiny", messages: [APIMessage(role: "user", content: "Hi")],
                                                temperature: 0, maxTokens: 10, logprobs: true, topLogprobs: 2)
            let answer = try await s.post("/v1/chat/completions", request).decode(ChatCompletionResponse.self)
            let content = try #require(answer.choices[0].logprobs?.content)
            #expect(content.count == answer.usage?.completionTokens)
            #expect(content.map(\.token).joined().hasPrefix(answer.choices[0].message.content))
            for entry in content {
                let top = try #require(entry.topLogprobs)
                #expect(top.count == 2 && top[0].logprob >= top[1].logprob)
                #expect(abs(top[0].logprob - entry.logprob) < 1e-9, "greedy picks the top token")
                #expect(entry.logprob <= 0)
            }
        }
    }
}
