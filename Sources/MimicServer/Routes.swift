// The router: /v1/chat/completions, /v1/completions, /v1/models, /health, vLLM's /tokenize, /detokenize and
// /tokenizer_info, with the API-key check, 405 for wrong methods, 404 for unknown routes, the body limit (413) and
// OpenAI error JSON for everything that goes wrong.
import Foundation
import Hummingbird
import MimicTeacher
import NIOCore

/// Builds the server's routes over a served model and its engine.
struct Routes: Sendable {
    let served: ServedModel
    let engine: Engine
    let configuration: ServerConfiguration
    let watch: ClientWatch

    func router() -> Router<ServeContext> {
        let router = Router(context: ServeContext.self)
        router.add(middleware: OpenAIErrorMiddleware())
        if let key = configuration.apiKey { router.add(middleware: APIKeyMiddleware(key: key)) }
        let budget = configuration.maxRequestTokens
        let chat = ChatEndpoint(served: served, engine: engine, maxChoices: configuration.parallel, budget: budget)
        let completions = CompletionEndpoint(served: served, engine: engine, maxChoices: configuration.parallel, budget: budget)
        let limit = configuration.maxBodyBytes, timeout = configuration.bodyTimeout
        router.post("/v1/chat/completions") { request, context -> Response in
            let body = try await decode(ChatBody.self, request, limit: limit, timeout: timeout)
            return try await chat.respond(body, connection: ClientConnection(channel: context.channel, watch: watch))
        }
        router.post("/v1/completions") { request, context -> Response in
            let body = try await decode(CompletionBody.self, request, limit: limit, timeout: timeout)
            return try await completions.respond(body, connection: ClientConnection(channel: context.channel, watch: watch))
        }
        let served = self.served
        router.post("/tokenize") { request, _ -> Response in
            jsonResponse(try served.tokenize(try await decode(TokenizeBody.self, request, limit: limit, timeout: timeout)))
        }
        router.post("/detokenize") { request, _ -> Response in
            jsonResponse(try served.detokenize(try await decode(DetokenizeBody.self, request, limit: limit, timeout: timeout)))
        }
        router.get("/tokenizer_info") { _, _ in jsonResponse(served.tokenizerInfo) }
        let name = served.name, created = unixTime()
        router.get("/v1/models") { _, _ in
            jsonResponse(ModelList(data: [.init(id: name, created: created, ownedBy: "mimic")]))
        }
        router.get("/v1/models/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard id == name else { throw APIError.modelNotFound(id, served: name) }
            return jsonResponse(ModelList.Model(id: name, created: created, ownedBy: "mimic"))
        }
        router.get("/health") { _, _ in jsonResponse(["status": "ok"]) }
        for path in ["/v1/chat/completions", "/v1/completions", "/tokenize", "/detokenize"] {
            router.get(RouterPath(path)) { request, _ -> Response in throw methodNotAllowed(request, allow: "POST") }
        }
        for path in ["/v1/models", "/health", "/tokenizer_info"] {
            router.post(RouterPath(path)) { request, _ -> Response in throw methodNotAllowed(request, allow: "GET") }
        }
        return router
    }
}

private func methodNotAllowed(_ request: Request, allow: String) -> APIError {
    APIError(.methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path); use \(allow).", code: "method_not_allowed")
}

/// Reads the body (at most `limit` bytes: 413 beyond; within `timeout` seconds: 408 after; one that ends early or
/// whose chunks are malformed: 400) and decodes it (400 naming the field on failure).
func decode<T: Decodable>(_ type: T.Type, _ request: Request, limit: Int, timeout: Double = 30) async throws -> T {
    if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit { throw APIError.tooLarge(limit) }
    let buffer: ByteBuffer
    do {
        buffer = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                var request = request
                return try await request.collectBody(upTo: limit)
            }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(timeout * 1e9))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let body = first else {
                throw APIError(.requestTimeout, "The request body did not arrive within \(Int(timeout)) seconds.", code: "request_timeout")
            }
            return body
        }
    } catch is NIOTooManyBytesError {
        throw APIError.tooLarge(limit)
    } catch let error as APIError {
        throw error
    } catch {
        throw APIError.badRequest("The request body could not be read: it ended before its length, or its chunks are malformed.")
    }
    guard buffer.readableBytes > 0 else { throw APIError.badRequest("The request body is empty; send a JSON object.") }
    let data = Data(buffer.readableBytesView)
    do {
        return try JSONDecoder().decode(T.self, from: data)
    } catch let error as DecodingError {
        if case .dataCorrupted(let context) = error, context.codingPath.isEmpty, let field = nonIntegerField(data) {
            // Foundation reports a fraction where an integer belongs as invalid JSON, without the field.
            throw APIError.badRequest("Field '\(field)' has the wrong type: expected an integer.", param: field)
        }
        throw APIError.decoding(error)
    }
}

/// The first integer field of the OpenAI requests that holds a number with a fraction, if the body is a JSON object.
private func nonIntegerField(_ data: Data) -> String? {
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
    for key in ["max_tokens", "n", "seed", "logprobs", "top_logprobs"] {
        if let number = object[key] as? Double, number.rounded() != number { return key }
    }
    return nil
}
