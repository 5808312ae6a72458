// The local engine as an evaluation model: log-likelihoods with a shared-prefix KV cache, generation with the
// KV cache. Each request's arithmetic is the same whatever the batch, so scores never depend on the batch size.
import Foundation
import MimicCore
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
        if let template {
            chatFormat = try opened.chatFormat(template: template)   // a bad name is an error, not ignored
        } else {
            chatFormat = try? opened.chatFormat()
        }
        identity = "local:" + Self.fingerprint(opened.path) + (template.map { " template=\($0)" } ?? "")
    }

    /// The absolute path with the size and modification time of its files: a model retrained in place, or another
    /// model at a path of the same name, gets another identity (and so other cache keys).
    static func fingerprint(_ path: String) -> String {
        let fm = FileManager.default
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var files = [absolute]
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: absolute, isDirectory: &isDir), isDir.boolValue {
            files = ((try? fm.contentsOfDirectory(atPath: absolute)) ?? []).sorted()
                .filter { $0.hasSuffix(".safetensors") || $0.hasSuffix(".json") || $0.hasSuffix(".gguf") }
                .filter { !$0.hasPrefix("optimizer") && $0 != "trainer_state.json" }
                .map { absolute + "/" + $0 }
        }
        var size = 0, modified = 0.0
        for f in files {
            let attributes = (try? fm.attributesOfItem(atPath: f)) ?? [:]
            size += (attributes[.size] as? Int) ?? 0
            modified = max(modified, (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
        }
        return "\(absolute) (\(size) bytes, modified \(Int(modified)))"
    }

    /// The context as the model sees it: through the chat template (its own BOS text) or raw (the tokenizer's BOS).
    func contextTokens(_ text: String, chat: Bool) throws -> [Int] {
        if chat {
            guard let chatFormat else {
                throw EvalError.unsupported(model: identity, problem: "the task uses the chat template and the model has none; pass --template")
            }
            return chatFormat.promptTokens([ChatMessage(role: "user", content: text)], tokenizer: tokenizer)
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
            var total = logProbability(last.row(0), vocab: V, token: cont[0]), greedy = Self.argmax(last.row(0), V) == cont[0]
            if cont.count > 1 {
                cache.truncate(to: prefix)
                let logits = try model.forward(Array(cont.dropLast()), cache: cache, logits: .all)   // (n-1, V)
                for j in 1..<cont.count {
                    total += logProbability(logits.row(j - 1), vocab: V, token: cont[j])
                    if Self.argmax(logits.row(j - 1), V) != cont[j] { greedy = false }
                }
            }
            return LogLikelihood(logProbability: total, isGreedy: greedy, tokenCount: cont.count)
        }
    }

    public func generate(_ requests: [GenerationRequest], batchSize: Int) async throws -> [String] {
        try lock.withLock { try requests.map(generateOne) }
    }

    /// One completion with the KV cache. A prompt too long for the model keeps its last tokens, leaving room for
    /// `maxTokens` (as lm-evaluation-harness does).
    func generateOne(_ r: GenerationRequest) throws -> String {
        var ids = try contextTokens(r.prompt, chat: r.chat), stops = r.until
        var stopTokens = Set<Int>()
        if let eos = tokenizer.eosTokenID { stopTokens.insert(eos) }
        if r.chat, let chatFormat {
            stops += chatFormat.template.stopStrings
            for text in chatFormat.template.stopStrings { if let id = tokenizer.tokenID(text) { stopTokens.insert(id) } }
        }
        let model = opened.model
        let maxNew = max(1, min(r.maxTokens, model.contextLength - 1))
        if ids.count + maxNew > model.contextLength { ids = Array(ids.suffix(model.contextLength - maxNew)) }
        guard !ids.isEmpty else { return "" }
        var stream = StopStringStream(stops: stops, decoder: StreamingDecoder(tokenizer: tokenizer))
        var stopped = false
        _ = try model.generateTokens(prompt: ids, maxTokens: maxNew, sampling: SamplingOptions(temperature: r.temperature, seed: r.seed),
                                     stopTokens: stopTokens) { id in
            if stream.append(id).1 { stopped = true }
            return !stopped
        }
        if !stopped { _ = stream.finish() }
        return cutAtStops(stream.text, r.until)
    }

    /// The most likely token of a row of logits (the first on ties).
    static func argmax(_ row: UnsafeMutablePointer<Float>, _ vocab: Int) -> Int {
        var best = 0
        for i in 1..<vocab where row[i] > row[best] { best = i }
        return best
    }
}
