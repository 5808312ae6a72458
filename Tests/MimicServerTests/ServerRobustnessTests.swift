// Malformed, oversized, unauthorised and misrouted requests get the right 4xx with OpenAI error JSON, and the
// server keeps serving normal requests afterwards.
import Foundation
import MimicServer
import MimicTeacher
import Testing

@Suite(.serialized) struct ServerRobustnessTests {
    /// Expects `answer` to be an OpenAI error with `status` (and `param`/`code` when given).
    func expectError(_ answer: HTTPAnswer, _ status: Int, param: String? = nil, code: String? = nil,
                     _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.status == status, "\(label): status \(answer.status), body \(answer.text.prefix(300))",
                sourceLocation: sourceLocation)
        guard let error = answer.error else {
            Issue.record("\(label): not OpenAI error JSON: \(answer.text.prefix(300))", sourceLocation: sourceLocation)
            return
        }
        #expect(!error.error.message.isEmpty && !error.error.type.isEmpty, "\(label)", sourceLocation: sourceLocation)
        if let param { #expect(error.error.param == param, "\(label): param \(error.error.param ?? "nil") in \(answer.text)", sourceLocation: sourceLocation) }
        if let code { #expect(error.error.code == code, "\(label): code \(error.error.code ?? "nil")", sourceLocation: sourceLocation) }
    }

    @Test func malformedRequestsGet4xxAndTheServerKeepsServing() async throws {
        try await withServer { s in
            let chat = "/v1/chat/completions"
            let before = try await s.chat("Hello there!").choices[0].message.content
            expectError(try await s.post(chat, json: "{not json"), 400, "bad JSON")
            expectError(try await s.post(chat, json: ""), 400, "empty body")
            expectError(try await s.post(chat, json: "[1, 2]"), 400, "array body")
            expectError(try await s.post(chat, json: #"{"model": "tiny", "messages": 5}"#), 400, param: "messages", "messages: 5")
            expectError(try await s.post(chat, json: #"{"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "temperature": "hot"}"#),
                        400, param: "temperature", "temperature: hot")
            expectError(try await s.post(chat, json: #"{"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1.5}"#),
                        400, param: "max_tokens", "max_tokens: 1.5")
            // A request without a model gets the served one (OpenAICompatibilityTests), as llama-server and vLLM answer.
            expectError(try await s.post(chat, json: #"{"model": "tiny", "messages": [{"content": "hi"}]}"#), 400, "message without a role")
            expectError(try await s.post(chat, json: #"{"model": "tiny", "messages": []}"#), 400, param: "messages", "no messages")
            expectError(try await s.post(chat, json: #"{"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}"#),
                        404, param: "model", code: "model_not_found", "unknown model")
            expectError(try await s.post(chat, json: #"{"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 100000}"#),
                        400, param: "max_tokens", code: "context_length_exceeded", "max_tokens beyond the context")
            expectError(try await s.post(chat, json: #"{"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "temperature": 7}"#),
                        400, param: "temperature", "temperature out of range")
            expectError(try await s.post(chat, json: #"{"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "n": 0}"#),
                        400, param: "n", "n: 0")
            let long = String(repeating: "a", count: 600)
            expectError(try await s.post(chat, json: #"{"model": "tiny", "messages": [{"role": "user", "content": "\#(long)"}]}"#),
                        400, code: "context_length_exceeded", "prompt longer than the context")
            let completions = "/v1/completions"
            expectError(try await s.post(completions, json: #"{"model": "tiny", "prompt": [[1, 2, 99999]]}"#), 400, param: "prompt",
                        "token id outside the vocabulary")
            expectError(try await s.post(completions, json: #"{"model": "tiny", "prompt": {"a": 1}}"#), 400, param: "prompt", "prompt object")
            expectError(try await s.post(completions, json: #"{"model": "tiny", "prompt": "hi", "max_tokens": 0}"#), 400, param: "max_tokens",
                        "max_tokens 0 without echo")
            expectError(try await s.post(completions, json: #"{"model": "tiny", "prompt": "hi", "logprobs": 50}"#), 400, param: "logprobs",
                        "logprobs 50")
            expectError(try await s.post(completions, json: #"{"model": "tiny", "prompt": ""}"#), 400, param: "prompt", "empty prompt")
            let stops = (0..<17).map { "\"s\($0)\"" }.joined(separator: ", ")
            expectError(try await s.post(completions, json: #"{"model": "tiny", "prompt": "hi", "stop": [\#(stops)]}"#), 400, param: "stop",
                        "17 stop strings")
            expectError(try await s.post(completions, json: #"{"model": "tiny", "prompt": "hi", "stop": 3}"#), 400, param: "stop", "stop: 3")
            expectError(try await s.send("/v1/nothing", method: .POST, body: Data("{}".utf8)), 404, code: "unknown_route", "unknown route")
            expectError(try await s.send("/", method: .GET), 404, "root")
            expectError(try await s.send(chat, method: .GET), 405, "GET on chat")
            expectError(try await s.send("/v1/models", method: .POST, body: Data("{}".utf8)), 405, "POST on models")
            // The server still answers, and the same way as before.
            #expect(try await s.chat("Hello there!").choices[0].message.content == before)
        }
    }

    @Test func oversizedBodiesGet413() async throws {
        try await withServer(maxBodyBytes: 1 << 20) { s in
            let filler = String(repeating: "x", count: 10 << 20)
            let huge = #"{"model": "tiny", "messages": [{"role": "user", "content": "\#(filler)"}]}"#
            expectError(try await s.post("/v1/chat/completions", json: huge), 413, "10 MB chat body")
            expectError(try await s.post("/v1/completions", json: #"{"model": "tiny", "prompt": "\#(filler)"}"#), 413, "10 MB prompt")
            // Just over the limit is refused too; just under is read (and then refused only for its prompt length).
            let over = String(repeating: "y", count: (1 << 20) + 10)
            expectError(try await s.post("/v1/completions", json: #"{"model": "tiny", "prompt": "\#(over)"}"#), 413, "just over 1 MB")
            let under = String(repeating: "y", count: (1 << 20) - 100)
            expectError(try await s.post("/v1/completions", json: #"{"model": "tiny", "prompt": "\#(under)"}"#), 400,
                        code: "context_length_exceeded", "just under 1 MB")
            #expect(try await s.chat("abc").choices[0].finishReason != nil)
        }
    }

    @Test func apiKeyIsRequiredWhenSet() async throws {
        try await withServer(apiKey: "sekrit-key") { s in
            let body = #"{"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}"#
            expectError(try await s.post("/v1/chat/completions", json: body), 401, code: "invalid_api_key", "no key")
            expectError(try await s.post("/v1/chat/completions", json: body, key: "wrong"), 401, code: "invalid_api_key", "wrong key")
            expectError(try await s.send("/v1/models", method: .GET, key: "sekrit-ke"), 401, "prefix of the key")
            #expect(try await s.post("/v1/chat/completions", json: body, key: "sekrit-key").status == 200)
            #expect(try await s.send("/v1/models", method: .GET, key: "sekrit-key").status == 200)
            #expect(try await s.send("/health", method: .GET).status == 200)
            #expect(!(try await s.post("/v1/chat/completions", json: body, key: "wrong").text.contains("sekrit")))
        }
    }

    @Test func aPortInUseIsASetupErrorAndBadSettingsAreRefused() async throws {
        try await withServer { s in
            let opened = s.opened
            await #expect(throws: ServerSetupError.self) {
                let other = try await LocalServer.start(model: opened, configuration: ServerConfiguration(port: s.server.port, modelName: "x"))
                await other.stop()
            }
            await #expect(throws: ServerSetupError.invalid("--parallel must be in 1...256")) {
                _ = try await LocalServer.start(model: opened, configuration: ServerConfiguration(port: 0, modelName: "x", parallel: 0))
            }
            let answer = try await s.chat("still serving")
            #expect(answer.choices.count == 1)
        }
    }

    @Test func streamingClientThatLeavesDoesNotStopOthers() async throws {
        try await withServer { s in
            // Many streamed requests abandoned at once (the client task is cancelled), then a normal one.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<6 {
                    group.addTask {
                        _ = try? await s.post("/v1/completions", json: #"{"model": "tiny", "prompt": "p\#(i)", "max_tokens": 400, "stream": true}"#)
                    }
                }
                try await Task.sleep(nanoseconds: 50_000_000)
                group.cancelAll()
            }
            #expect(try await s.chat("still there?").choices.count == 1)
        }
    }
}
