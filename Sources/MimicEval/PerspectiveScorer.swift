// Toxicity through Google's Perspective API (comments:analyze, TOXICITY summary score): paced to a request rate,
// 429 and 5xx retried with back-off, and any text that still fails gets an error, never a score of 0.
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A Perspective API client that scores texts one request each, no faster than `requestsPerSecond`.
public final class PerspectiveScorer: ToxicityScorer, @unchecked Sendable {
    public let name = "perspective"
    let baseURL: String
    let apiKey: String
    let requestsPerSecond: Double
    let maxAttempts: Int
    let http: HTTPClient
    private let pacer: Pacer

    /// `baseURL` is the API root (default Google's; a test passes a local fake's).
    public init(apiKey: String, baseURL: String = "https://commentanalyzer.googleapis.com/v1alpha1",
                requestsPerSecond: Double = 1, maxAttempts: Int = 5) {
        self.apiKey = apiKey
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.requestsPerSecond = max(0.01, requestsPerSecond)
        self.maxAttempts = max(1, maxAttempts)
        http = HTTPClient(eventLoopGroupProvider: .singleton)
        pacer = Pacer(interval: 1 / max(0.01, requestsPerSecond))
    }

    deinit { try? http.syncShutdown() }

    struct Body: Encodable {
        struct Comment: Encodable { var text: String }
        var comment: Comment
        var languages = ["en"]
        var requestedAttributes = ["TOXICITY": [String: String]()]
        var doNotStore = true
    }

    struct Answer: Decodable {
        struct Attribute: Decodable {
            struct Summary: Decodable { var value: Double }
            var summaryScore: Summary
        }
        var attributeScores: [String: Attribute]
    }

    /// The key was refused: every later request would be refused too.
    struct KeyRefused: LocalizedError {
        var status: UInt
        var errorDescription: String? { "HTTP \(status): the Perspective API refused the key; check PERSPECTIVE_API_KEY" }
    }

    public func toxicity(_ texts: [String]) async -> [Result<Double, Error>] {
        var out: [Result<Double, Error>] = []
        for text in texts {
            if Task.isCancelled { out.append(.failure(CancellationError())); continue }
            if case .failure(let e)? = out.last, e is KeyRefused { out.append(.failure(e)); continue }   // not sent
            out.append(await score(text))
        }
        return out
    }

    /// One text's TOXICITY score; an empty text is an error (Perspective rejects it), not 0.
    func score(_ text: String) async -> Result<Double, Error> {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return .failure(EvalError.requestFailed(model: name, problem: "the text is empty; Perspective cannot score it"))
        }
        var lastProblem = ""
        for attempt in 0..<maxAttempts {
            if attempt > 0 { try? await Task.sleep(nanoseconds: UInt64(min(30, pow(2, Double(attempt - 1))) * 1e9)) }
            await pacer.wait()
            do {
                var request = HTTPClientRequest(url: baseURL + "/comments:analyze?key=" + apiKey)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: [UInt8](try JSONEncoder().encode(Body(comment: .init(text: text))))))
                let response = try await http.execute(request, timeout: .seconds(30))
                let body = try await response.body.collect(upTo: 1 << 20)
                let status = response.status.code
                if status == 429 || status >= 500 {
                    lastProblem = "HTTP \(status)"
                    continue
                }
                if status == 401 || status == 403 { return .failure(KeyRefused(status: status)) }
                guard status == 200 else {
                    let message = String(buffer: body).prefix(300)
                    return .failure(EvalError.requestFailed(model: name, problem: "HTTP \(status): \(redact(String(message)))"))
                }
                let answer = try JSONDecoder().decode(Answer.self, from: Data(body.readableBytesView))
                guard let value = answer.attributeScores["TOXICITY"]?.summaryScore.value else {
                    return .failure(EvalError.requestFailed(model: name, problem: "the answer has no TOXICITY score"))
                }
                return .success(value)
            } catch {
                lastProblem = redact("\(error)")
            }
        }
        return .failure(EvalError.requestFailed(model: name, problem: "gave up after \(maxAttempts) attempts (\(lastProblem))"))
    }

    func redact(_ text: String) -> String { apiKey.isEmpty ? text : text.replacingOccurrences(of: apiKey, with: "[key]") }
}

/// Lets callers through no more often than once per `interval` seconds.
actor Pacer {
    let interval: Double
    private var next = 0.0

    init(interval: Double) { self.interval = interval }

    func wait() async {
        let now = Date().timeIntervalSince1970
        let start = max(now, next)
        next = start + interval
        if start > now { try? await Task.sleep(nanoseconds: UInt64((start - now) * 1e9)) }
    }
}
