// Test support: a LocalServer over the tiny fixture on 127.0.0.1 port 0, and a small HTTP client for it.
import AsyncHTTPClient
import Foundation
import MimicModels
import MimicServer
import MimicTeacher
import MimicTestSupport
import NIOCore
import NIOHTTP1

/// An HTTP answer: status and body.
struct HTTPAnswer {
    var status: Int
    var body: Data
    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body decoded as `T` (throws with the body text when it is not one).
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: body) } catch {
            throw TestFailure("cannot decode \(T.self) from \(status) \(text.prefix(400)): \(error)")
        }
    }

    /// The OpenAI error body, or nil if the body is not one.
    var error: APIErrorBody? { try? JSONDecoder().decode(APIErrorBody.self, from: body) }

    /// The JSON payloads of a server-sent event stream, up to `[DONE]` (which must be there).
    func events() throws -> [Data] {
        var out: [Data] = [], done = false
        for block in text.components(separatedBy: "\n\n") where !block.isEmpty {
            guard block.hasPrefix("data: ") else { throw TestFailure("not an SSE event: \(block)") }
            let payload = String(block.dropFirst(6))
            if payload == "[DONE]" { done = true } else { out.append(Data(payload.utf8)) }
        }
        guard done else { throw TestFailure("the stream has no [DONE]") }
        return out
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A server over a model, with request helpers; `stop()` it at the end of the test.
struct TestServer: Sendable {
    let server: LocalServer
    let opened: OpenedModel
    let name: String

    static func start(_ opened: OpenedModel? = nil, name: String = "tiny", apiKey: String? = nil,
                      maxBodyBytes: Int = 4 << 20, parallel: Int = 16,
                      configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        let opened = try opened ?? TinyChatModel.open()
        var configuration = ServerConfiguration(host: "127.0.0.1", port: 0, modelName: name, apiKey: apiKey,
                                                maxBodyBytes: maxBodyBytes, parallel: parallel)
        configure(&configuration)
        let server = try await LocalServer.start(model: opened, configuration: configuration)
        return TestServer(server: server, opened: opened, name: name)
    }

    func stop() async { await server.stop() }

    /// Sends `body` (raw bytes) to `path` with `method`, and an `Authorization: Bearer` header when `key` is given.
    func send(_ path: String, method: HTTPMethod = .POST, body: Data? = nil, key: String? = nil) async throws -> HTTPAnswer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)\(path)")
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return HTTPAnswer(status: Int(response.status.code), body: Data(bytes.readableBytesView))
    }

    /// POSTs a JSON object given as text.
    func post(_ path: String, json: String, key: String? = nil) async throws -> HTTPAnswer {
        try await send(path, body: Data(json.utf8), key: key)
    }

    /// POSTs an Encodable request.
    func post<T: Encodable>(_ path: String, _ value: T, key: String? = nil) async throws -> HTTPAnswer {
        try await send(path, body: try JSONEncoder().encode(value), key: key)
    }

    /// A greedy chat answer that must succeed.
    func chat(_ user: String, maxTokens: Int = 12) async throws -> ChatCompletionResponse {
        let answer = try await post("/v1/chat/completions", ChatCompletionRequest(
            model: name, messages: [APIMessage(role: "user", content: user)], temperature: 0, maxTokens: maxTokens))
        guard answer.status == 200 else { throw TestFailure("chat answered \(answer.status): \(answer.text)") }
        return try answer.decode(ChatCompletionResponse.self)
    }
}

/// Runs `body` against a fresh server and stops the server afterwards, also when `body` throws.
func withServer<T>(_ opened: OpenedModel? = nil, name: String = "tiny", apiKey: String? = nil, maxBodyBytes: Int = 4 << 20,
                   parallel: Int = 16, configure: (inout ServerConfiguration) -> Void = { _ in },
                   _ body: (TestServer) async throws -> T) async throws -> T {
    let s = try await TestServer.start(opened, name: name, apiKey: apiKey, maxBodyBytes: maxBodyBytes, parallel: parallel,
                                       configure: configure)
    do {
        let result = try await body(s)
        await s.stop()
        return result
    } catch {
        await s.stop()
        throw error
    }
}
