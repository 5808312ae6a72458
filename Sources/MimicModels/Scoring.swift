// Scoring with a LanguageModel: log-likelihood of a continuation (MMLU-style tasks), llama.cpp-compatible
// perplexity, and the token-level generation loop.
import Foundation
import MimicTensor

/// The log-probability a model gives a continuation, and whether greedy decoding would produce it.
public struct LogLikelihood: Sendable, Equatable {
    /// Natural-log probability of the continuation, summed over its tokens.
    public var logProbability: Double
    /// Whether every continuation token is the model's most likely one (argmax) at its position.
    public var isGreedy: Bool
    /// Number of continuation tokens scored.
    public var tokenCount: Int

    public init(logProbability: Double, isGreedy: Bool, tokenCount: Int) {
        self.logProbability = logProbability
        self.isGreedy = isGreedy
        self.tokenCount = tokenCount
    }
}

/// A perplexity run: the final estimate and the running estimate after each chunk (as llama.cpp prints them).
public struct PerplexityResult: Sendable {
    /// exp(mean negative log-likelihood) over all scored tokens: the last of `chunkEstimates`.
    public var perplexity: Double
    /// The running perplexity after each chunk.
    public var chunkEstimates: [Double]
    /// Number of tokens scored (the second half of each chunk, less its last position).
    public var scoredTokens: Int
    /// Summed negative natural-log likelihood of the scored tokens.
    public var negativeLogLikelihood: Double
}

/// log softmax(row)[token], computed in Double.
public func logProbability(_ row: UnsafePointer<Float>, vocab: Int, token: Int) -> Double {
    var m = -Double.infinity
    for i in 0..<vocab { m = max(m, Double(row[i])) }
    var s = 0.0
    for i in 0..<vocab { s += exp(Double(row[i]) - m) }
    return Double(row[token]) - m - log(s)
}

extension LanguageModel {
    /// log P(continuation | context), summed over the continuation's tokens, in one forward pass.
    public func loglikelihood(context: [Int], continuation: [Int]) throws -> LogLikelihood {
        guard !context.isEmpty, !continuation.isEmpty else {
            throw ModelError.invalid(file: "request", field: context.isEmpty ? "context" : "continuation",
                                     problem: "is empty; scoring needs at least one token of each")
        }
        for t in continuation where !(0..<vocabularySize).contains(t) {
            throw ModelError.tokenOutOfRange(token: t, vocabulary: vocabularySize)
        }
        let input = context + continuation.dropLast()
        let cache = makeCache(capacity: input.count)
        let logits = try forward(input, cache: cache, logits: .tail(continuation.count))  // (n, V)
        let V = vocabularySize
        var total = 0.0, greedy = true
        for (i, token) in continuation.enumerated() {
            let row = logits.row(i)
            total += logProbability(row, vocab: V, token: token)
            if argmax(Array(UnsafeBufferPointer(start: row, count: V))) != token { greedy = false }
        }
        return LogLikelihood(logProbability: total, isGreedy: greedy, tokenCount: continuation.count)
    }

    /// Perplexity as llama.cpp's `llama-perplexity` computes it: the tokens are cut into chunks of `context`
    /// tokens (a trailing partial chunk is dropped); with `bos`, each chunk's first token is replaced by it;
    /// only the second half of each chunk is scored; the estimate is exp(mean NLL) over all scored tokens.
    public func perplexity(tokens: [Int], context n: Int, bos: Int?,
                           progress: ((Int, Int, Double) -> Void)? = nil) throws -> PerplexityResult {
        precondition(n >= 4, "context must be at least 4 tokens")
        let chunks = tokens.count / n
        guard chunks > 0 else {
            throw ModelError.invalid(file: "input", field: "text",
                                     problem: "\(tokens.count) tokens is fewer than one \(n)-token window; use a longer text or a smaller --ctx")
        }
        let V = vocabularySize, first = n / 2
        var nll = 0.0, count = 0, estimates: [Double] = []
        for c in 0..<chunks {
            var window = Array(tokens[(c * n)..<((c + 1) * n)])
            if let bos { window[0] = bos }
            let cache = makeCache(capacity: n)
            let logits = try forward(window, cache: cache, logits: .tail(n - first))  // positions first..<n
            for j in first..<(n - 1) {
                nll -= logProbability(logits.row(j - first), vocab: V, token: tokens[c * n + j + 1])
                count += 1
            }
            estimates.append(exp(nll / Double(count)))
            progress?(c + 1, chunks, estimates.last!)
        }
        return PerplexityResult(perplexity: estimates.last!, chunkEstimates: estimates, scoredTokens: count,
                                negativeLogLikelihood: nll)
    }

    /// Generates up to `maxTokens` tokens after `prompt` with the KV cache (which may already hold earlier
    /// tokens, `history`, seen by the repetition penalty). `onToken` sees each new token and returns false to
    /// stop. Returns the new tokens.
    public func generateTokens(prompt: [Int], maxTokens: Int, sampling: SamplingOptions, stopTokens: Set<Int>,
                               cache: KVCache? = nil, history: [Int] = [],
                               onToken: (Int) -> Bool = { _ in true }) throws -> [Int] {
        precondition(!prompt.isEmpty, "the prompt must hold at least one token")
        let cache = cache ?? makeCache(capacity: min(contextLength, prompt.count + min(max(maxTokens, 0), contextLength)))
        var sampler = Sampler(sampling)
        var history = history + prompt, out: [Int] = []
        var logits = try forward(prompt, cache: cache, logits: .last)
        while out.count < maxTokens {
            let next = sampler.sample(logits.data, count: vocabularySize, history: history)
            if stopTokens.contains(next) { break }
            out.append(next)
            history.append(next)
            if !onToken(next) || out.count == maxTokens { break }
            if cache.length >= cache.capacity { break }
            logits = try forward([next], cache: cache, logits: .last)
        }
        return out
    }
}
