// A model behind an OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp's server, `mimic serve`):
// log-likelihoods through /v1/completions with echo and logprobs, generation through completions or chat.
import Foundation
import MimicCore
import MimicModels
import MimicTeacher
import MimicTokenizers

/// An OpenAI-compatible model. With a local copy of its tokenizer (`tokenizer`), prompts are scored as token ids,
/// split exactly as the local engine splits them; without one, as text, split by the returned `text_offset`.
public final class RemoteEvalModel: EvalModel, @unchecked Sendable {
    public let identity: String
    let client: any ChatClient
    let model: String
    let tokenizer: (any Tokenizer)?
    let chatFormat: ChatFormat?
    let local: LocalEvalModel?
    /// Requests in flight at once.
    let concurrency: Int

    /// `client` talks to the endpoint; `local`, when given, lends its tokenizer and chat template (it is not run).
    public init(client: any ChatClient, model: String, baseURL: String, local: LocalEvalModel? = nil, concurrency: Int = 4) {
        self.client = client
        self.model = model
        self.local = local
        tokenizer = local?.tokenizer
        chatFormat = local?.chatFormat
        self.concurrency = max(1, concurrency)
        // The local tokenizer changes how prompts are split and rendered, so it is part of the identity (and cache keys).
        identity = "openai:\(model)@\(baseURL)" + (local.map { " tokenizer=\($0.identity)" } ?? "")
    }

    public func loglikelihoods(_ requests: [LoglikelihoodRequest], batchSize: Int) async throws -> [LogLikelihood] {
        let batches = stride(from: 0, to: requests.count, by: max(1, batchSize)).map { Array(requests[$0..<min($0 + max(1, batchSize), requests.count)]) }
        let answers = try await concurrentMap(batches, limit: concurrency) { batch in try await self.scoreBatch(batch) }
        return answers.flatMap { $0 }
    }

    /// One completions request scoring every request of the batch. One token is generated (servers such as vLLM
    /// want at least one) and left out: only the continuation's own tokens are summed.
    func scoreBatch(_ batch: [LoglikelihoodRequest]) async throws -> [LogLikelihood] {
        if let local {
            let pairs = try batch.map(local.encodePair)
            let prompt = PromptInput.tokens(pairs.map { $0.context + $0.continuation })
            let response = try await complete(prompt, count: batch.count)
            return try zip(pairs, response.choices).map { pair, choice in
                let lp = try logprobs(choice)
                let start = pair.context.count, end = start + pair.continuation.count
                guard lp.tokenLogprobs.count >= end else {
                    throw malformed("returned \(lp.tokenLogprobs.count) prompt log-probabilities for \(end) prompt tokens")
                }
                return try sum(lp, start..<end)
            }
        }
        if batch.contains(where: \.chat) {
            throw EvalError.unsupported(model: identity, problem: "scoring a chat-template task needs the model's template; pass --tokenizer MODEL (a local copy of its tokenizer)")
        }
        let texts = batch.map { $0.context + $0.continuation }
        let response = try await complete(.batch(texts), count: batch.count)
        return try zip(zip(batch, texts), response.choices).map { pair, choice in
            let (r, text) = pair
            let lp = try logprobs(choice)
            // Offsets count Unicode scalars of the echoed text; a server that echoes a prefix (a BOS text) shifts them.
            let shift = choice.text.range(of: text).map { choice.text.unicodeScalars.distance(from: choice.text.unicodeScalars.startIndex, to: $0.lowerBound) } ?? 0
            let contextEnd = shift + r.context.unicodeScalars.count, promptEnd = shift + text.unicodeScalars.count
            // The continuation: from the first token that reaches past the context to the last that starts inside the prompt.
            var first: Int?, end = 0
            for i in lp.textOffset.indices {
                let tokenEnd = i + 1 < lp.textOffset.count ? lp.textOffset[i + 1] : Int.max
                if first == nil && tokenEnd > contextEnd { first = i }
                if lp.textOffset[i] < promptEnd { end = i + 1 }
            }
            guard let first, first > 0, first < end, end <= lp.tokenLogprobs.count else {
                throw malformed("returned text offsets that do not cover the continuation")
            }
            return try sum(lp, first..<end)
        }
    }

    private func complete(_ prompt: PromptInput, count: Int) async throws -> CompletionResponse {
        let request = CompletionRequest(model: model, prompt: prompt, maxTokens: 1, temperature: 0, logprobs: 1, echo: true)
        let response: CompletionResponse
        do { response = try await client.complete(request) } catch {
            throw EvalError.requestFailed(model: identity, problem: "scoring failed: \(error.localizedDescription)")
        }
        guard response.choices.count == count else { throw malformed("answered \(response.choices.count) choices for \(count) prompts") }
        return CompletionResponse(id: response.id, created: response.created, model: response.model,
                                  choices: response.choices.sorted { $0.index < $1.index }, usage: response.usage)
    }

    private func logprobs(_ choice: CompletionResponse.Choice) throws -> CompletionLogprobs {
        guard let lp = choice.logprobs, !lp.tokenLogprobs.isEmpty else {
            throw EvalError.unsupported(model: identity, problem: "the endpoint returned no prompt log-probabilities (echo + logprobs); it cannot score multiple-choice tasks (chat-only APIs cannot); use a completions endpoint that supports echo, such as vLLM or mimic serve")
        }
        return lp
    }

    /// The summed log-probability of the tokens in `range`, and whether each was the most likely.
    private func sum(_ lp: CompletionLogprobs, _ range: Range<Int>) throws -> LogLikelihood {
        var total = 0.0, greedy = true
        for i in range {
            guard let v = lp.tokenLogprobs[i], v.isFinite else { throw malformed("token \(i) of the continuation has no log-probability") }
            total += v
            if let tops = lp.topLogprobs?[safe: i] ?? nil, let best = tops.max(by: { $0.value < $1.value }) {
                if best.value > v + 1e-9 || (best.key != lp.tokens[safe: i] && best.value > v) { greedy = false }
            }
        }
        return LogLikelihood(logProbability: total, isGreedy: greedy, tokenCount: range.count)
    }

    private func malformed(_ what: String) -> EvalError {
        .requestFailed(model: identity, problem: "the endpoint \(what)")
    }

    public func generate(_ requests: [GenerationRequest], batchSize: Int) async throws -> [String] {
        try await concurrentMap(requests, limit: concurrency) { r in try await self.generateOne(r) }
    }

    func generateOne(_ r: GenerationRequest) async throws -> String {
        // OpenAI accepts at most 4 stop strings; the rest are cut here.
        let stops = Array(r.until.prefix(4))
        do {
            if r.chat {
                let request = ChatCompletionRequest(model: model, messages: [APIMessage(role: "user", content: r.prompt)],
                                                    temperature: r.temperature, maxTokens: r.maxTokens, stop: stops.isEmpty ? nil : stops,
                                                    seed: Int(truncatingIfNeeded: r.seed))
                let response = try await client.chat(request)
                guard let text = response.choices.first?.message.content else { throw malformed("returned no choice") }
                return cutAtStops(text, r.until)
            }
            let request = CompletionRequest(model: model, prompt: .text(r.prompt), maxTokens: r.maxTokens, temperature: r.temperature,
                                            stop: stops.isEmpty ? nil : stops, seed: Int(truncatingIfNeeded: r.seed))
            let response = try await client.complete(request)
            guard let text = response.choices.first?.text else { throw malformed("returned no choice") }
            return cutAtStops(text, r.until)
        } catch let error as EvalError {
            throw error
        } catch {
            throw EvalError.requestFailed(model: identity, problem: "generation failed: \(error.localizedDescription)")
        }
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}

/// `transform` over `items` with at most `limit` running at once; results in input order.
func concurrentMap<T: Sendable, R: Sendable>(_ items: [T], limit: Int, _ transform: @escaping @Sendable (T) async throws -> R) async throws -> [R] {
    try await withThrowingTaskGroup(of: (Int, R).self) { group in
        var results = [R?](repeating: nil, count: items.count), next = 0
        func add() {
            let i = next, item = items[i]
            group.addTask { (i, try await transform(item)) }
            next += 1
        }
        while next < min(limit, items.count) { add() }
        while let (i, r) = try await group.next() {
            results[i] = r
            if next < items.count { add() }
        }
        return results.map { $0! }
    }
}
