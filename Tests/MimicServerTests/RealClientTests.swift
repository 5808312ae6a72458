// `mimic serve` through the OpenAI Python SDK (Tests/MimicServerTests/Clients/openai_sdk_check.py): what a user's
// script gets must be what the server answers over plain HTTP, and errors must arrive as the SDK's own exception
// types. Needs $CACHE/venvs/clients (scripts/fetch-assets.sh); skipped without it unless MIMIC_REQUIRE_ASSETS=1.
import Foundation
import MimicServer
import MimicTeacher
import MimicTestSupport
import Testing

@Suite(.requires(.clients)) struct RealClientTests {
    @Test func theOpenAIPythonSDKGetsTheServersAnswersAndItsErrorTypes() async throws {
        let python = try FetchedAsset.clients.require()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Clients/openai_sdk_check.py").path
        try await withServer(apiKey: "sk-sdk-key") { s in
            let run = try await ChildProcess.run(python, [script, s.server.baseURL, "sk-sdk-key", "tiny"])
            try #require(run.status == 0, "\(run.stderr)")
            let seen = try #require(try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any])
            print("OpenAI SDK \(seen["version"] ?? "?")")

            // The same chat over plain HTTP, with max_tokens: the SDK's max_completion_tokens means the same.
            let expected = try await s.post("/v1/chat/completions", json: """
                {"model": "tiny", "messages": [{"role": "user", "content": "hello there"}], "temperature": 0, "max_tokens": 5, "seed": 1}
                """, key: "sk-sdk-key").decode(ChatCompletionResponse.self)
            let chat = try #require(seen["chat"] as? [String: Any])
            #expect(chat["content"] as? String == expected.choices[0].message.content)
            #expect(chat["completion_tokens"] as? Int == expected.usage?.completionTokens && (expected.usage?.completionTokens ?? 9) <= 5)
            #expect(chat["role"] as? String == "assistant" && chat["model"] as? String == "tiny")
            let stream = try #require(seen["stream"] as? [String: Any])
            #expect(stream["content"] as? String == expected.choices[0].message.content)
            #expect(stream["completion_tokens"] as? Int == expected.usage?.completionTokens)

            // Echo scoring: every prompt token, the first without a log-probability, each with its own in top_logprobs.
            let echo = try #require(seen["echo"] as? [String: Any])
            let tokens = try #require(echo["tokens"] as? [String]), logprobs = try #require(echo["token_logprobs"] as? [Any])
            #expect(echo["text"] as? String == "The cat sat on the mat" && tokens.joined() == "The cat sat on the mat")
            #expect(logprobs.count == tokens.count && logprobs.first is NSNull)
            let tops = try #require(echo["top_logprobs"] as? [Any])
            for k in 1..<tokens.count {
                let top = try #require(tops[k] as? [String: Double])
                #expect(top[tokens[k]] == logprobs[k] as? Double, "position \(k)")
            }
            #expect(seen["models"] as? [String] == ["tiny"])

            // Errors as the SDK's exception classes, with the field named.
            let errors = try #require(seen["errors"] as? [String: [Any]])
            func error(_ name: String) -> (String, Int, String?) {
                let e = errors[name] ?? []
                return (e.first as? String ?? "", e.count > 1 ? e[1] as? Int ?? 0 : 0, e.count > 2 ? e[2] as? String : nil)
            }
            #expect(error("unknown_model") == ("NotFoundError", 404, "model"))
            #expect(error("bad_role") == ("BadRequestError", 400, "messages[0].role"))
            #expect(error("tools") == ("BadRequestError", 400, "tools"))
            #expect(error("too_many_tokens").0 == "BadRequestError" && error("too_many_tokens").1 == 400)
            #expect(error("wrong_key").0 == "AuthenticationError" && error("wrong_key").1 == 401)
        }
    }
}
