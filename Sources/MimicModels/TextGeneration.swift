// Text generation with a tokenizer: prompt text in, streamed text out, stopping at end-of-turn tokens,
// stop strings (held back until they can no longer match) or a token limit.
import Foundation
import MimicTensor
import MimicTokenizers

/// Why generation ended.
public enum FinishReason: String, Codable, Sendable {
    /// An end-of-sequence token or a stop string.
    case stop
    /// The token limit or the context was reached.
    case length
}

/// What a generation produced, with timings.
public struct GenerationResult: Codable, Sendable {
    public var text: String
    public var tokens: [Int]
    public var promptTokens: Int
    public var finishReason: FinishReason
    public var promptSeconds: Double
    public var generateSeconds: Double
}

/// Settings of one generation.
public struct GenerationOptions: Codable, Sendable {
    public var maxTokens: Int = 256
    public var sampling = SamplingOptions()
    public var stopStrings: [String] = []

    public init(maxTokens: Int = 256, sampling: SamplingOptions = SamplingOptions(), stopStrings: [String] = []) {
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stopStrings = stopStrings
    }
}

/// Generates text from a model and its tokenizer.
public struct TextGenerator {
    public let model: any LanguageModel
    public let tokenizer: any Tokenizer
    /// Token ids that end a turn (EOS, and the template's end-of-turn tokens).
    public let stopTokens: Set<Int>

    public init(model: any LanguageModel, tokenizer: any Tokenizer, extraStopTokens: [String] = []) {
        self.model = model
        self.tokenizer = tokenizer
        var stops = Set(extraStopTokens.compactMap { tokenizer.tokenID($0) })
        if let eos = tokenizer.eosTokenID { stops.insert(eos) }
        stopTokens = stops
    }

    /// Generates after `prompt` (text; special tokens in it are parsed). `onText` receives text as it becomes
    /// final and returns false to stop early. A `cache` holding a prefix of the prompt's tokens is reused.
    public func generate(prompt: String, options: GenerationOptions, cache: KVCache? = nil, cachedTokens: [Int] = [],
                         onText: (String) -> Bool = { _ in true }) throws -> GenerationResult {
        let promptIDs = tokenizer.encode(prompt, addBOS: tokenizer.addsBOS, parseSpecial: true)
        guard !promptIDs.isEmpty else {
            throw ModelError.invalid(file: "prompt", field: "text", problem: "the prompt is empty; give some text")
        }
        let capacity = min(model.contextLength, promptIDs.count + options.maxTokens)
        let cache = cache ?? model.makeCache(capacity: capacity)
        // Reuse the longest cached prefix, but always run at least the last prompt token.
        var common = 0
        while common < min(cachedTokens.count, promptIDs.count - 1, cache.length) && cachedTokens[common] == promptIDs[common] { common += 1 }
        cache.truncate(to: common)
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        var text = "", emitted = 0, stopped = false, finish = FinishReason.length
        let start = DispatchTime.now().uptimeNanoseconds
        var firstTokenAt: UInt64 = 0
        let maxNew = min(options.maxTokens, cache.capacity - promptIDs.count)
        guard maxNew > 0 else { throw ModelError.contextOverflow(needed: promptIDs.count + 1, capacity: cache.capacity) }
        let tokens = try model.generateTokens(prompt: Array(promptIDs[common...]), maxTokens: maxNew,
                                              sampling: options.sampling, stopTokens: stopTokens, cache: cache,
                                              history: Array(promptIDs[..<common])) { id in
            if firstTokenAt == 0 { firstTokenAt = DispatchTime.now().uptimeNanoseconds }
            text += decoder.append(id)
            if let range = options.stopStrings.compactMap({ text.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
                text = String(text[..<range.lowerBound])
                stopped = true
            }
            // Emit what can no longer be the start of a stop string.
            let safe = stopped ? text.count : text.count - heldBack(text, options.stopStrings)
            if safe > emitted {
                let piece = String(text.dropFirst(emitted).prefix(safe - emitted))
                emitted = safe
                if !onText(piece) { stopped = true }
            }
            return !stopped
        }
        if !stopped {
            text += decoder.flush()
            if text.count > emitted { _ = onText(String(text.dropFirst(emitted))) }
        }
        let end = DispatchTime.now().uptimeNanoseconds
        if stopped || tokens.count < maxNew { finish = .stop }
        let promptEnd = firstTokenAt == 0 ? end : firstTokenAt
        return GenerationResult(text: text, tokens: tokens, promptTokens: promptIDs.count, finishReason: finish,
                                promptSeconds: Double(promptEnd - start) / 1e9, generateSeconds: Double(end - promptEnd) / 1e9)
    }

    /// Characters at the end of `text` that could begin a stop string.
    private func heldBack(_ text: String, _ stops: [String]) -> Int {
        var hold = 0
        for stop in stops {
            for n in stride(from: min(stop.count - 1, text.count), to: 0, by: -1) where text.hasSuffix(String(stop.prefix(n))) {
                hold = max(hold, n)
                break
            }
        }
        return hold
    }
}
