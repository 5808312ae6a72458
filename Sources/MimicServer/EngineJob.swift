// What the engine is asked to run for one choice (a prompt's token ids, limits, sampling) and what it reports back.
import Foundation
import MimicModels

/// One sequence to run: a prompt, how many tokens to add and how to draw them.
struct GenerationJob: Sendable {
    /// The prompt's token ids (at least one).
    var prompt: [Int]
    /// Most tokens to generate (0: score the prompt only).
    var maxTokens: Int
    /// How tokens are drawn (seeded).
    var sampling: SamplingOptions
    /// Strings that end generation; they are cut from the text.
    var stopStrings: [String]
    /// Token ids that end generation (EOS, end of turn); they are not part of the text.
    var stopTokens: Set<Int>
    /// Report the log-probability of every prompt token after the first (echo scoring).
    var promptLogprobs = false
    /// Report generated tokens' log-probabilities with this many alternatives (nil: none).
    var topLogprobs: Int?
}

/// A stop token (EOS, end of turn) the model generated, which ended its choice.
struct StopToken: Sendable {
    var id: Int
    /// Its log-probability, when the job asked for them.
    var logprob: TokenLogprob?
}

/// A token's log-probability and the most likely alternatives at its position.
struct TokenLogprob: Sendable {
    var token: Int
    var logprob: Double
    /// (token id, log-probability), most likely first.
    var top: [(Int, Double)]
}

/// What the engine reports for one choice of a request.
enum EngineEvent: Sendable {
    /// The prompt's log-probabilities (the first is nil: nothing precedes it).
    case prompt([TokenLogprob?])
    /// A generated token and the text that became final with it (possibly empty).
    case token(id: Int, text: String, logprob: TokenLogprob?)
    /// The end of the choice: the last text, why it ended, and the stop token the model drew when that ended it
    /// (a generated token whose text is not part of the answer; with its log-probability when they were asked for).
    case finished(rest: String, reason: FinishReason, stopToken: StopToken?)
    /// The choice failed (a model error); the message is for the client.
    case failed(String)
}

/// Log-softmax of one logits row: the log-probability of `token` and the `k` most likely (id, log-probability).
func logprobs(_ row: UnsafePointer<Float>, vocab: Int, token: Int, top k: Int) -> TokenLogprob {
    var m = -Double.infinity
    for i in 0..<vocab { m = max(m, Double(row[i])) }
    var s = 0.0
    for i in 0..<vocab { s += exp(Double(row[i]) - m) }
    let lse = m + log(s)
    var top: [(Int, Double)] = []
    if k > 0 {
        // Keep the k best in a small sorted list (k is at most 20).
        var best: [(Int, Float)] = []
        for i in 0..<vocab where best.count < k || row[i] > best[best.count - 1].1 {
            let at = best.firstIndex { row[i] > $0.1 } ?? best.count
            best.insert((i, row[i]), at: at)
            if best.count > k { best.removeLast() }
        }
        top = best.map { ($0.0, Double($0.1) - lse) }
    }
    return TokenLogprob(token: token, logprob: Double(row[token]) - lse, top: top)
}
