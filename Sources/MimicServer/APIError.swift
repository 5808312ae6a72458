// Errors answered to clients as OpenAI error JSON with a 4xx/5xx status, and the mapping from decoding errors.
import Foundation
import Hummingbird
import MimicTeacher

/// An error a request gets back: `{"error": {"message", "type", "param", "code"}}` with `status`.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var body: APIErrorBody

    init(_ status: HTTPResponse.Status, _ message: String, type: String = "invalid_request_error",
         param: String? = nil, code: String? = nil) {
        self.status = status
        body = APIErrorBody(message: message, type: type, param: param, code: code)
    }

    static func badRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(.badRequest, message, param: param, code: code)
    }

    static func modelNotFound(_ name: String, served: String) -> APIError {
        APIError(.notFound, "The model '\(name)' does not exist; this server serves '\(served)'.", param: "model",
                 code: "model_not_found")
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, "The request body is larger than this server's limit of \(limit) bytes "
                 + "(start it with a larger --max-body-mb).", code: "request_too_large")
    }

    /// A 400 that says which field of the body is wrong and how.
    static func decoding(_ error: DecodingError) -> APIError {
        func path(_ keys: [CodingKey]) -> String {
            let parts = keys.map { key in key.intValue.map { "[\($0)]" } ?? "." + key.stringValue }
            return String(parts.joined().drop(while: { $0 == "." }))
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return .badRequest("Missing required field '\(field)'.", param: field)
        case .typeMismatch(_, let context) where context.codingPath.isEmpty:
            return .badRequest("The body must be a JSON object.")
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            return .badRequest("Field '\(field)' has the wrong type: expected \(typeName(type)).",
                               param: field)
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            // The parser's own words say where (line and column), without its internal types.
            let where_ = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return .badRequest("The body is not valid JSON" + (where_.map { ": " + $0 } ?? "."))
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            return .badRequest("Field '\(field)' is invalid: \(context.debugDescription)", param: field)
        @unknown default:
            return .badRequest("The body could not be read: \(error)")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Double.Type, is Float.Type: return "a number"
        case is Int.Type: return "an integer"
        case is Bool.Type: return "a boolean"
        default: return "\(type)".contains("Array") ? "a list" : "an object of the documented shape"
        }
    }

    /// The error as a JSON response.
    func response() -> Response {
        jsonResponse(body, status: status)
    }
}

/// A JSON response of an Encodable value.
func jsonResponse<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
    let data = (try? JSONEncoder().encode(value)) ?? Data(#"{"error":{"message":"encoding failed","type":"server_error"}}"#.utf8)
    return Response(status: status, headers: [.contentType: "application/json"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
}

/// Turns anything a handler throws into OpenAI error JSON (unknown routes, oversized bodies, engine failures).
struct OpenAIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response()
        } catch let error as HTTPError where error.status == .notFound {
            return APIError(.notFound, "Unknown route \(request.method) \(request.uri.path).", code: "unknown_route").response()
        } catch let error as any HTTPResponseError {
            let type = error.status.code >= 500 ? "server_error" : "invalid_request_error"
            return APIError(error.status, "\(error.status.reasonPhrase) (\(request.method) \(request.uri.path)).",
                            type: type).response()
        } catch {
            return APIError(.internalServerError, "The server failed: \(error.localizedDescription)", type: "server_error").response()
        }
    }
}

/// Checks `Authorization: Bearer <key>` on every route but `/health` when the server has a key.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let key: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/health" { return try await next(request, context) }
        let header = request.headers[.authorization] ?? ""
        let given = header.hasPrefix("Bearer ") ? String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces) : nil
        guard let given, constantTimeEqual(given, key) else {
            throw APIError(.unauthorized, given == nil ? "Missing API key: send 'Authorization: Bearer <key>'."
                                                       : "Incorrect API key provided.",
                           code: "invalid_api_key")
        }
        return try await next(request, context)
    }

    /// Compares without stopping at the first difference.
    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = x.count ^ y.count
        for i in 0..<min(x.count, y.count) { diff |= Int(x[i] ^ y[i]) }
        return diff == 0
    }
}
