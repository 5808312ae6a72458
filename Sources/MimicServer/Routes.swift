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

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: OpenAIErrorMiddleware())
        if let key = configuration.apiKey { router.add(middleware: APIKeyMiddleware(key: key)) }
        let chat = ChatEndpoint(served: served, engine: engine, maxChoices: configuration.parallel)
        let completions = CompletionEndpoint(served: served, engine: engine, maxChoices: configuration.parallel)
        let limit = configuration.maxBodyBytes
        router.post("/v1/chat/completions") { request, _ -> Response in
            let body = try await decode(ChatBody.self, request, limit: limit)
            return try await chat.respond(body)
        }
        router.post("/v1/completions") { request, _ -> Response in
            let body = try await decode(CompletionBody.self, request, limit: limit)
            return try await completions.respond(body)
        }
        let served = self.served
        router.post("/tokenize") { request, _ -> Response in
            jsonResponse(try served.tokenize(try await decode(TokenizeBody.self, request, limit: limit)))
        }
        router.post("/detokenize") { request, _ -> Response in
            jsonResponse(try served.detokenize(try await decode(DetokenizeBody.self, request, limit: limit)))
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

/// Reads the body (at most `limit` bytes: 413 beyond) and decodes it (400 naming the field on failure).
func decode<T: Decodable>(_ type: T.Type, _ request: Request, limit: Int) async throws -> T {
    if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit { throw APIError.tooLarge(limit) }
    var request = request
    let buffer: ByteBuffer
    do {
        buffer = try await request.collectBody(upTo: limit)
    } catch is NIOTooManyBytesError {
        throw APIError.tooLarge(limit)
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
