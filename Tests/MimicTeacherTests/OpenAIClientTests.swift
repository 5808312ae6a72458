// OpenAIClient against a correct loopback fake (Hummingbird): chat, completions, streaming, models,
// error mapping, key redaction, Retry-After and concurrency through ThrottledClient.
import Foundation
import Hummingbird
import Testing
@testable import MimicTeacher
import MimicTestSupport

/// A correct OpenAI-compatible fake; `/v1/chat/completions` also obeys prompts "status:NNN" and "echo-auth".
func correctFakeRouter(log: ServerLog, delay: Double = 0) -> Router<BasicRequestContext> {
    let router = Router()
    router.post("/v1/chat/completions") { request, _ -> Response in
        log.enter()
        defer { log.leave() }
        let auth = request.headers[.authorization]
        let body = try await request.body.collect(upTo: 1 << 20)
        let chat = try JSONDecoder().decode(ChatCompletionRequest.self, from: Data(body.readableBytesView))
        let prompt = chat.messages.last?.content ?? ""
        let hits = log.hit(prompt, authorization: auth ?? "none")
        if delay > 0 { try await Task.sleep(nanoseconds: UInt64(delay * 1e9)) }
        if prompt.hasPrefix("status:"), let code = Int(prompt.dropFirst(7)) {
            let error = APIErrorBody(message: "fake refuses with \(code)", type: "invalid_request_error")
            return Response(status: .init(code: code), headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: jsonData(error))))
        }
        if prompt == "echo-auth" {
            let error = APIErrorBody(message: "bad key in header Authorization: \(auth ?? "")", type: "auth")
            return Response(status: .unauthorized, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: jsonData(error))))
        }
        if prompt == "echo-auth-plain" {
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: "not json; you sent \(auth ?? "")")))
        }
        if prompt.hasPrefix("busy-once"), hits == 1 {
            return Response(status: .tooManyRequests, headers: [.retryAfter: "1"],
                            body: .init(byteBuffer: ByteBuffer(string: "slow down")))
        }
        let answer = fakeAnswer(prompt)
        if chat.stream == true {
            let events = sseEvents(model: chat.model, text: answer)
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
                for event in events { try await writer.write(ByteBuffer(string: event)) }
                try await writer.finish(nil)
            })
        }
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: chatAnswerJSON(model: chat.model, text: answer))))
    }
    router.post("/v1/completions") { request, _ -> Response in
        let body = try await request.body.collect(upTo: 1 << 20)
        let completion = try JSONDecoder().decode(CompletionRequest.self, from: Data(body.readableBytesView))
        let text = completion.prompt.texts.joined().uppercased()
        let answer = CompletionResponse(id: "cmpl", created: 1, model: completion.model,
                                        choices: [.init(text: text, index: 0, logprobs: nil, finishReason: "length")],
                                        usage: Usage(promptTokens: 1, completionTokens: 1))
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: jsonData(answer))))
    }
    router.get("/v1/models") { _, _ -> Response in
        let list = ModelList(data: [.init(id: "fake-teacher", created: 1, ownedBy: "tests")])
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: jsonData(list))))
    }
    return router
}

/// Runs `body` with an OpenAIClient on the correct fake, shutting the client down afterwards.
func withCorrectFake<T: Sendable>(key: String? = "sk-test-SECRET-0123456789", delay: Double = 0, timeout: Double = 10,
                                  _ body: @escaping @Sendable (OpenAIClient, ServerLog) async throws -> T) async throws -> T {
    let log = ServerLog()
    return try await withLoopbackServer(correctFakeRouter(log: log, delay: delay), label: "fake-teacher") { port in
        let client = try OpenAIClient(endpoint: TeacherEndpoint(baseURL: "http://127.0.0.1:\(port)/v1/", apiKey: key),
                                      timeout: timeout)
        do {
            let value = try await body(client, log)
            try await client.shutdown()
            return value
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

func userChat(_ text: String, maxTokens: Int? = nil) -> ChatCompletionRequest {
    ChatCompletionRequest(model: "fake-teacher", messages: [APIMessage(role: "system", content: "be brief"),
                                                            APIMessage(role: "user", content: text)],
                          maxTokens: maxTokens)
}

@Suite struct OpenAIClientTests {
    @Test func chatCompletionsAndModelsRoundTrip() async throws {
        try await withCorrectFake { client, log in
            let answer = try await client.chat(userChat("one two three"))
            #expect(answer.choices.first?.message.content == "echo: three two one")
            #expect(answer.usage?.completionTokens == 4)
            #expect(log.authorizations == ["Bearer sk-test-SECRET-0123456789"])
            let completion = try await client.complete(CompletionRequest(model: "m", prompt: .text("abc")))
            #expect(completion.choices.first?.text == "ABC")
            #expect(try await client.listModels().data.map(\.id) == ["fake-teacher"])
        }
    }

    @Test func noAuthorizationHeaderWithoutKey() async throws {
        try await withCorrectFake(key: nil) { client, log in
            _ = try await client.chat(userChat("hi"))
            #expect(log.authorizations == ["none"])
        }
    }

    @Test func streamingAssemblesTheSameTextAsNonStreaming() async throws {
        try await withCorrectFake { client, _ in
            let prompt = "the quick brown fox jumps over the lazy dog ünïcödé 🦊"
            let plain = try await client.chat(userChat(prompt))
            var chunks = 0
            for try await _ in client.streamChat(userChat(prompt)) { chunks += 1 }
            let streamed = try await client.chatByStreaming(userChat(prompt))
            #expect(chunks > 5)
            #expect(streamed.choices.map(\.message.content) == plain.choices.map(\.message.content))
            #expect(streamed.choices.first?.finishReason == "stop")
            #expect(streamed.usage?.completionTokens == plain.choices[0].message.content.split(separator: " ").count)
        }
    }

    @Test func badRequestIsMappedWithServerMessageAndTriedOnce() async throws {
        try await withCorrectFake { client, log in
            let throttled = try ThrottledClient(wrapping: client, policy: TrafficPolicy(maxAttempts: 5, baseDelay: 0.01))
            let error = await #expect(throws: TeacherError.self) { try await throttled.chat(userChat("status:400")) }
            guard case .http(let status, let message, _) = error else {
                Issue.record("expected .http, got \(String(describing: error))")
                return
            }
            #expect(status == 400)
            #expect(message.contains("fake refuses with 400"))
            #expect(error?.isRetryable == false)
            #expect(log.count("status:400") == 1)
            #expect(throttled.stats.attempts == 1 && throttled.stats.retries == 0)
        }
    }

    @Test func keyNeverAppearsInErrorsEvenWhenTheServerEchoesIt() async throws {
        let key = "sk-test-SECRET-0123456789"
        try await withCorrectFake(key: key) { client, log in
            var descriptions: [String] = []
            for prompt in ["echo-auth", "echo-auth-plain"] {
                do {
                    _ = try await client.chat(userChat(prompt))
                    Issue.record("\(prompt) should fail")
                } catch {
                    descriptions.append(error.localizedDescription)
                    descriptions.append(String(describing: error))
                }
            }
            // The server did receive the key and did echo it; the client removed it.
            #expect(log.authorizations.allSatisfy { $0 == "Bearer \(key)" })
            #expect(descriptions.count == 4)
            #expect(descriptions[0].contains("Bearer [redacted]"))
            #expect(descriptions[2].contains("malformed"))
            for text in descriptions { #expect(!text.contains(key), "leaked in: \(text)") }
        }
    }

    @Test func tooManyRequestsHonoursRetryAfter() async throws {
        try await withCorrectFake { client, log in
            let throttled = try ThrottledClient(wrapping: client,
                                                policy: TrafficPolicy(maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.02))
            let start = Date()
            let answer = try await throttled.chat(userChat("busy-once now"))
            let elapsed = Date().timeIntervalSince(start)
            #expect(answer.choices.first?.message.content == "echo: now busy-once")
            #expect(elapsed >= 1.0, "waited only \(elapsed) s")
            #expect(log.count("busy-once now") == 2)
            #expect(throttled.stats.retriesByReason == ["http 429": 1])
        }
    }

    @Test func concurrencyLimitIsNeverExceeded() async throws {
        try await withCorrectFake(delay: 0.03) { client, log in
            let throttled = try ThrottledClient(wrapping: client, policy: TrafficPolicy(maxConcurrent: 4))
            let answers = try await withThrowingTaskGroup(of: String.self) { group in
                for i in 0..<32 {
                    group.addTask { try await throttled.chat(userChat("request \(i)")).choices[0].message.content }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(Set(answers) == Set((0..<32).map { "echo: \($0) request" }))
            #expect(log.maxInFlight <= 4)
            #expect(log.maxInFlight >= 2, "the fake never saw requests overlap")
            #expect(throttled.stats.peakInFlight <= 4)
        }
    }

    @Test func slowAnswerTimesOut() async throws {
        try await withCorrectFake(delay: 1.0, timeout: 0.3) { client, _ in
            let start = Date()
            let error = await #expect(throws: TeacherError.self) { try await client.chat(userChat("slow")) }
            #expect(error == .timeout(seconds: 0.3))
            #expect(Date().timeIntervalSince(start) < 0.9)
        }
    }

    @Test func retryAfterParsesSecondsAndHTTPDates() {
        let now = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(OpenAIClient.parseRetryAfter("1") == 1)
        #expect(OpenAIClient.parseRetryAfter(" 2.5 ") == 2.5)
        #expect(OpenAIClient.parseRetryAfter("Sun, 06 Nov 1994 08:49:47 GMT", now: now) == 10)
        #expect(OpenAIClient.parseRetryAfter("Sun, 06 Nov 1994 08:49:27 GMT", now: now) == 0)
        #expect(OpenAIClient.parseRetryAfter("soon") == nil)
    }

    @Test func rejectsNonHTTPBaseURL() {
        #expect(throws: TeacherError.self) { try OpenAIClient(endpoint: TeacherEndpoint(baseURL: "ftp://x/v1")) }
        #expect(throws: TeacherError.self) {
            try OpenAIClient(endpoint: TeacherEndpoint(baseURL: "http://x/v1"), timeout: 0)
        }
    }

    @Test func serverSentEventsParseAcrossAnySplit() {
        let stream = ": comment\r\ndata: {\"a\":1}\r\n\r\ndata: two\ndata: lines\n\nevent: x\nid: 7\ndata:[DONE]\r\r"
        let bytes = Array(stream.utf8)
        let expected = ["{\"a\":1}", "two\nlines", "[DONE]"]
        for split in 0...bytes.count {
            var parser = ServerSentEvents()
            let events = parser.feed(bytes[..<split]) + parser.feed(bytes[split...])
            #expect(events == expected, "split at \(split)")
        }
        var byteByByte = ServerSentEvents()
        #expect(bytes.flatMap { byteByByte.feed([$0]) } == expected)
        var partial = ServerSentEvents()
        #expect(partial.feed(Array("data: {\"cut\":".utf8)).isEmpty)
        partial.finish()
        #expect(partial.hadPartialEvent)
    }
}
