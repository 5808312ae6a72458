// Toxicity through Google's Perspective API (comments:analyze, TOXICITY summary score), through the one client stack:
// traffic control (the rate asked for, retries with jitter and `Retry-After`), the request cache and the ledger (kind
// `toxicity`, free, under the eval's run). A text that still fails gets an error, never a score of 0.
import AsyncHTTPClient
import Foundation
import MimicTeacher
import NIOCore
import NIOHTTP1

/// A Perspective API client that scores texts one request each, answering from the request store when it can.
///
/// Every answer is stored under the key of its request body (text, languages, attributes; not the API key) and
/// recorded in the ledger under `run` (model `perspective`) with no tokens and cost 0, so `mimic ledger --by run` counts the requests and a
/// rerun over the same store sends nothing. A failure is recorded as the request's failure, never stored as an answer.
/// 401 and 403 stop the scoring at once (every later text fails without being sent); a 400 fails that text only.
public final class PerspectiveScorer: ToxicityScorer {
    public let name = "perspective"
    /// Google's API root.
    public static let defaultBaseURL = "https://commentanalyzer.googleapis.com/v1alpha1"

    /// The API root and key; the key is redacted from every error and kept out of the store.
    let endpoint: TeacherEndpoint
    /// The request cache and ledger.
    public let store: RequestStore
    /// The ledger's run name.
    public let run: String
    /// Pacing and retries.
    public let traffic: TrafficController
    let timeout: Double
    let http: HTTPClient

    /// The traffic policy for `requestsPerSecond`: one request at a time, no faster than that (bursts of one
    /// second's worth), up to `maxAttempts` tries with full-jitter back-off from `baseDelay`, `Retry-After` honoured.
    public static func policy(requestsPerSecond: Double, maxAttempts: Int = 5, baseDelay: Double = 1) -> TrafficPolicy {
        TrafficPolicy(maxConcurrent: 1, requestsPerMinute: requestsPerSecond * 60, maxAttempts: maxAttempts,
                      baseDelay: baseDelay, maxDelay: max(baseDelay, 30))
    }

    /// A scorer that records into `store` under ledger run `run`.
    /// - Parameters:
    ///   - baseURL: the API root (Google's by default; a test passes a local fake's).
    ///   - policy: pacing and retries (`policy(requestsPerSecond:)`).
    ///   - seed: seeds the back-off's jitter.
    ///   - clock: time and sleep; `.system` unless testing.
    ///   - timeout: seconds for one answer before the attempt counts as failed.
    /// - Throws: `TeacherError.configuration` when the policy is invalid.
    public init(apiKey: String, baseURL: String = PerspectiveScorer.defaultBaseURL, store: RequestStore, run: String,
                policy: TrafficPolicy = PerspectiveScorer.policy(requestsPerSecond: 1), seed: UInt64 = 0,
                clock: TrafficClock = .system, timeout: Double = 30) throws {
        endpoint = TeacherEndpoint(baseURL: baseURL, apiKey: apiKey)
        self.store = store
        self.run = run
        traffic = try TrafficController(policy: policy, seed: seed, clock: clock)
        self.timeout = timeout
        http = HTTPClient(eventLoopGroupProvider: .singleton)
    }

    deinit { try? http.syncShutdown() }

    struct Body: Codable {
        struct Comment: Codable { var text: String }
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
        var status: Int
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

    /// One text's TOXICITY score, stored or asked for; an empty text is an error (Perspective rejects it), not 0.
    func score(_ text: String) async -> Result<Double, Error> {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            return .failure(EvalError.requestFailed(model: name, problem: "the text is empty; Perspective cannot score it"))
        }
        let body = Body(comment: .init(text: text))
        let key = RequestKey.json(endpoint: endpoint.url(Self.path), body: body)
        do {
            if let stored = try await store.lookupAsync(key) {
                return .success(try Self.toxicity(of: stored.response(as: Answer.self)))
            }
            let (value, answer) = try await traffic.send { try await self.post(body) }
            try await store.recordAsync(try StoredResponse.toxicity(
                key: key, endpoint: endpoint.baseURL, model: name, run: run, request: body, responseJSON: answer))
            return .success(value)
        } catch {
            if error is CancellationError || Task.isCancelled { return .failure(CancellationError()) }
            let failure = error is KeyRefused || error is EvalError
                ? error : EvalError.requestFailed(model: name, problem: endpoint.redact(error.localizedDescription))
            try? await store.recordFailureAsync(key: key, run: run, reason: failure.localizedDescription)
            return .failure(failure)
        }
    }

    static let path = "/comments:analyze"

    /// One attempt: the score and the answer's JSON as received. 429, 5xx, time-outs and resets throw retryable
    /// `TeacherError`s; 401 and 403 throw `KeyRefused`; another status throws a `TeacherError.http` that is not retried.
    private func post(_ body: Body) async throws -> (Double, String) {
        let label = "POST " + Self.path
        var request = HTTPClientRequest(url: endpoint.url(Self.path) + "?key=" + (endpoint.apiKey ?? ""))
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: [UInt8](try JSONEncoder().encode(body))))
        let data: Data
        do {
            let response = try await http.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
            let status = Int(response.status.code)
            if status == 401 || status == 403 { throw KeyRefused(status: status) }
            try await OpenAIClient.checkStatus(response, label: label)
            data = Data(try await response.body.collect(upTo: Self.maxAnswerBytes).readableBytesView)
        } catch let refused as KeyRefused {
            throw refused
        } catch {
            throw OpenAIClient.mapError(error, label: label, endpoint: endpoint, timeout: timeout, maxResponseBytes: Self.maxAnswerBytes)
        }
        let answer = try OpenAIClient.decode(Answer.self, from: data, label: label)
        return (try Self.toxicity(of: answer), String(decoding: data, as: UTF8.self))
    }

    static let maxAnswerBytes = 1 << 20

    /// The TOXICITY summary score of an answer.
    static func toxicity(of answer: Answer) throws -> Double {
        guard let value = answer.attributeScores["TOXICITY"]?.summaryScore.value else {
            throw EvalError.requestFailed(model: "perspective", problem: "the answer has no TOXICITY score")
        }
        return value
    }
}
