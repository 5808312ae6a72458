// The local engine as an evaluation model: log-likelihoods with a shared-prefix KV cache, generation with the
// KV cache. Each request's arithmetic is the same whatever the batch, so scores never depend on the batch size.
import Foundation
import MimicModels
import MimicTokenizers

/// A model opened by Mimic's engine (GGUF file, Hugging Face folder or built-in name).
public final class LocalEvalModel: EvalModel, @unchecked Sendable {
    public let identity: String
    let opened: OpenedModel
    let tokenizer: BPETokenizer
    let chatFormat: ChatFormat?
    private let lock = NSLock()

    /// Wraps an opened model; `template` names a chat template to use instead of the model's own. With
    /// `exactActivations` (the default) quantized weights multiply FP32 activations: the engine's faster 8-bit
    /// activations change a continuation's log-likelihood by up to ~0.5 nats depending on how many tokens a forward
    /// pass holds, which would make a score depend on how its requests were grouped. (It sets the model's flag.)
    public init(_ opened: OpenedModel, template: String? = nil, exactActivations: Bool = true) throws {
        self.opened = opened
        opened.model.exactActivations = exactActivations
        tokenizer = try opened.requireTokenizer()
        chatFormat = try? opened.chatFormat(template: template)
        identity = "local:" + (opened.path as NSString).lastPathComponent
    }

    /// The context as the model sees it: through the chat template (its own BOS text) or raw (the tokenizer's BOS).
    func contextTokens(_ text: String, chat: Bool) throws -> [Int] {
        if chat {
            guard let chatFormat else {
                throw EvalError.unsupported(model: identity, problem: "the task uses the chat template and the model has none; pass --template")
            }
            return tokenizer.encode(chatFormat.prompt([ChatMessage(role: "user", content: text)]), addBOS: false, parseSpecial: true)
        }
        return tokenizer.encode(text, addBOS: tokenizer.addsBOS, parseSpecial: true)
    }

    /// lm-evaluation-harness's split of a request into tokens: trailing white space of the context moves to the
    /// continuation; the continuation is what encoding context + continuation adds after the context's own tokens.
    public func encodePair(_ r: LoglikelihoodRequest) throws -> (context: [Int], continuation: [Int]) {
        var context = r.context, continuation = r.continuation
        let trailing = context.count - (context.lastIndex { !$0.isWhitespace }.map { context.distance(from: context.startIndex, to: $0) + 1 } ?? 0)
        if trailing > 0 {
            continuation = String(context.suffix(trailing)) + continuation
            context = String(context.dropLast(trailing))
        }
        let ctx = try contextTokens(context, chat: r.chat)
        var cont: [Int]
        if r.chat {
            cont = tokenizer.encode(continuation, addBOS: false, parseSpecial: false)
        } else {
            cont = Array(try contextTokens(context + continuation, chat: false).dropFirst(ctx.count))
        }
        if cont.isEmpty { cont = tokenizer.encode(continuation, addBOS: false, parseSpecial: false) }
        guard !cont.isEmpty else {
            throw EvalError.invalidArgument("a continuation is empty after tokenization; a multiple-choice task needs non-empty choices")
        }
        var context0 = ctx
        if context0.isEmpty, let start = tokenizer.bosTokenID ?? tokenizer.eosTokenID { context0 = [start] }
        // Too long for the model: keep the last tokens of the context (as lm-evaluation-harness does).
        let room = opened.model.contextLength - cont.count
        if context0.count > room { context0 = Array(context0.suffix(max(1, room))) }
        return (context0, cont)
    }

    public func loglikelihoods(_ requests: [LoglikelihoodRequest], batchSize: Int) async throws -> [LogLikelihood] {
        try lock.withLock {
            let pairs = try requests.map(encodePair)
            var results = [LogLikelihood?](repeating: nil, count: requests.count)
            var start = 0
            while start < requests.count {
                let end = min(start + max(1, batchSize), requests.count)
                // Requests of one batch that share a context run it once.
                var groups: [[Int]: [Int]] = [:], order: [[Int]] = []
                for i in start..<end {
                    if groups[pairs[i].context] == nil { order.append(pairs[i].context) }
                    groups[pairs[i].context, default: []].append(i)
                }
                for context in order {
                    let members = groups[context]!
                    for (i, ll) in try scoreGroup(context: context, continuations: members.map { pairs[$0].continuation }).enumerated() {
                        results[members[i]] = ll
                    }
                }
                start = end
            }
            return results.map { $0! }
        }
    }

    /// Runs the context once and scores each continuation from it: the first token from the context's last logits,
    /// the rest by running the continuation (minus its last token) over the cache cut back to the context.
    func scoreGroup(context: [Int], continuations: [[Int]]) throws -> [LogLikelihood] {
        let model = opened.model, V = model.vocabularySize
        let longest = continuations.map(\.count).max() ?? 1
        let cache = model.makeCache(capacity: context.count + longest)
        let last = try model.forward(context, cache: cache, logits: .last)   // (1, V)
        let prefix = cache.length
        return try continuations.map { cont in
            for t in cont where !(0..<V).contains(t) { throw ModelError.tokenOutOfRange(token: t, vocabulary: V) }
            var total = Self.logProbability(last.row(0), V, cont[0]), greedy = Self.argmax(last.row(0), V) == cont[0]
            if cont.count > 1 {
                cache.truncate(to: prefix)
                let logits = try model.forward(Array(cont.dropLast()), cache: cache, logits: .all)   // (n-1, V)
                for j in 1..<cont.count {
                    total += Self.logProbability(logits.row(j - 1), V, cont[j])
                    if Self.argmax(logits.row(j - 1), V) != cont[j] { greedy = false }
                }
            }
            return LogLikelihood(logProbability: total, isGreedy: greedy, tokenCount: cont.count)
        }
    }

    public func generate(_ requests: [GenerationRequest], batchSize: Int) async throws -> [String] {
        try lock.withLock {
            try requests.map { r in
                var prompt = r.prompt, stops = r.until, addBOS: Bool? = nil
                if r.chat {
                    guard let chatFormat else {
                        throw EvalError.unsupported(model: identity, problem: "the task uses the chat template and the model has none; pass --template")
                    }
                    prompt = chatFormat.prompt([ChatMessage(role: "user", content: r.prompt)])
                    stops += chatFormat.template.stopStrings
                    addBOS = false
                }
                let generator = TextGenerator(model: opened.model, tokenizer: tokenizer, extraStopTokens: r.chat ? chatFormat!.template.stopStrings : [])
                let options = GenerationOptions(maxTokens: r.maxTokens, sampling: SamplingOptions(temperature: r.temperature, seed: r.seed),
                                                stopStrings: stops)
                return cutAtStops(try generator.generate(prompt: prompt, options: options, addBOS: addBOS).text, r.until)
            }
        }
    }

    static func logProbability(_ row: UnsafeMutablePointer<Float>, _ vocab: Int, _ token: Int) -> Double {
        var m = -Double.infinity
        for i in 0..<vocab { m = max(m, Double(row[i])) }
        var s = 0.0
        for i in 0..<vocab { s += exp(Double(row[i]) - m) }
        return Double(row[token]) - m - log(s)
    }

    static func argmax(_ row: UnsafeMutablePointer<Float>, _ vocab: Int) -> Int {
        var best = 0
        for i in 1..<vocab where row[i] > row[best] { best = i }
        return best
    }
}
