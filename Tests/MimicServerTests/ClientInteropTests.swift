// Mimic's own teacher client against `mimic serve`: chat, streamed chat, completions with echo and logprobs, the
// model list, an API key, and the cache over the two, all through the real HTTP stack on 127.0.0.1.
import Foundation
import MimicTeacher
import Testing

@Suite struct ClientInteropTests {
    @Test func clientSpeaksToMimicServe() async throws {
        try await withServer(apiKey: "sk-interop-key") { s in
            let client = try OpenAIClient(endpoint: s.server.endpoint, timeout: 60)
            do {
                let request = ChatCompletionRequest(model: "tiny", messages: [APIMessage(role: "user", content: "hello there")],
                                                    temperature: 0, maxTokens: 10)
                let plain = try await client.chat(request)
                // The same request over plain HTTP.
                let expected = try await s.post("/v1/chat/completions", request, key: "sk-interop-key")
                    .decode(ChatCompletionResponse.self)
                #expect(plain.choices.first?.message.content == expected.choices.first?.message.content)
                #expect(plain.usage == expected.usage)
                let streamed = try await client.chatByStreaming(request)
                #expect(streamed.choices.first?.message.content == plain.choices.first?.message.content)
                #expect(streamed.usage == plain.usage)

                let scored = try await client.complete(CompletionRequest(model: "tiny", prompt: .text("The cat sat."),
                                                                         maxTokens: 0, logprobs: 1, echo: true))
                let lp = try #require(scored.choices.first?.logprobs)
                #expect(lp.tokenLogprobs.first == .some(nil) && lp.tokenLogprobs.dropFirst().allSatisfy { ($0 ?? 1) <= 0 })
                #expect(try await client.listModels().data.map(\.id) == ["tiny"])

                // The cache over the client: a second ask is answered without the server.
                let teacher = try CachedTeacher(client: client, endpoint: s.server.baseURL, model: "tiny",
                                                store: try RequestStore.inMemory(), run: "interop")
                guard case .answered(let first, _, false) = try await teacher.chat(request, sampleIndex: 0),
                      case .answered(let again, _, true) = try await teacher.chat(request, sampleIndex: 0) else {
                    Issue.record("expected a sent answer, then a cached one"); try await client.shutdown(); return
                }
                #expect(first == again && first.choices.first?.message.content == plain.choices.first?.message.content)
            } catch {
                try await client.shutdown()
                throw error
            }
            try await client.shutdown()

            // A wrong key is a 401 the client reports without the key.
            let wrong = try OpenAIClient(endpoint: TeacherEndpoint(baseURL: s.server.baseURL, apiKey: "sk-wrong-secret"), timeout: 60)
            let error = await #expect(throws: TeacherError.self) {
                try await wrong.chat(ChatCompletionRequest(model: "tiny", messages: [APIMessage(role: "user", content: "x")]))
            }
            try await wrong.shutdown()
            guard case .http(401, let message, _) = error else { Issue.record("expected 401, got \(String(describing: error))"); return }
            #expect(!message.contains("sk-wrong-secret"))
        }
    }
}
