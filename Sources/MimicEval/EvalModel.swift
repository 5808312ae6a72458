// The model an evaluation asks: log-likelihoods of continuations and generations, from the local engine or any
// OpenAI-compatible endpoint, plus a scripted one for tests.
import Foundation
import MimicModels

/// Score `continuation` after `context` (both text; with `chat`, the context is one user turn in the chat template).
public struct LoglikelihoodRequest: Sendable, Hashable, Codable {
    public var context: String
    public var continuation: String
    public var chat: Bool

    public init(context: String, continuation: String, chat: Bool = false) {
        self.context = context
        self.continuation = continuation
        self.chat = chat
    }
}

/// Generate after `prompt` until a stop string or `maxTokens` (with `chat`, the prompt is one user turn).
public struct GenerationRequest: Sendable, Hashable, Codable {
    public var prompt: String
    public var until: [String]
    public var maxTokens: Int
    public var temperature: Double
    public var seed: UInt64
    public var chat: Bool

    public init(prompt: String, until: [String], maxTokens: Int, temperature: Double = 0, seed: UInt64 = 0, chat: Bool = false) {
        self.prompt = prompt
        self.until = until
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.seed = seed
        self.chat = chat
    }
}

/// A model under evaluation.
public protocol EvalModel: AnyObject, Sendable {
    /// What the model is, for results and cache keys (`local:PATH`, `openai:NAME@URL`).
    var identity: String { get }
    /// log P(continuation | context) for each request, in order. Results must not depend on `batchSize`.
    func loglikelihoods(_ requests: [LoglikelihoodRequest], batchSize: Int) async throws -> [LogLikelihood]
    /// The completion of each request, in order, cut before the first stop string. Must not depend on `batchSize`.
    func generate(_ requests: [GenerationRequest], batchSize: Int) async throws -> [String]
}

/// Cuts `text` before the earliest of `stops`.
func cutAtStops(_ text: String, _ stops: [String]) -> String {
    var end = text.endIndex
    for stop in stops where !stop.isEmpty {
        if let r = text.range(of: stop), r.lowerBound < end { end = r.lowerBound }
    }
    return String(text[..<end])
}

/// A model whose answers a test scripts: log-likelihoods from a function, completions from another.
public final class ScriptedEvalModel: EvalModel, @unchecked Sendable {
    public let identity: String
    let score: @Sendable (LoglikelihoodRequest) -> Double
    let answer: @Sendable (GenerationRequest) -> String
    private let lock = NSLock()
    private var _calls = 0

    /// Requests answered so far.
    public var calls: Int { lock.withLock { _calls } }

    public init(identity: String = "scripted", score: @escaping @Sendable (LoglikelihoodRequest) -> Double = { _ in 0 },
                answer: @escaping @Sendable (GenerationRequest) -> String = { _ in "" }) {
        self.identity = identity
        self.score = score
        self.answer = answer
    }

    public func loglikelihoods(_ requests: [LoglikelihoodRequest], batchSize: Int) async throws -> [LogLikelihood] {
        lock.withLock { _calls += requests.count }
        return requests.map { LogLikelihood(logProbability: score($0), isGreedy: false, tokenCount: 1) }
    }

    public func generate(_ requests: [GenerationRequest], batchSize: Int) async throws -> [String] {
        lock.withLock { _calls += requests.count }
        return requests.map { cutAtStops(answer($0), $0.until) }
    }
}
