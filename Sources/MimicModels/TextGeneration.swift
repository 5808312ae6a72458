// Text generation with a tokenizer: prompt text in, streamed text out, stopping at end-of-turn tokens,
// stop strings (held back until they can no longer match) or a token limit.
import Foundation
import MimicCore
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
    /// The generated text (prompt excluded), cut before the first stop string.
    public var text: String
    /// The generated token ids (stop token excluded).
    public var tokens: [Int]
    /// Number of tokens the prompt encoded to.
    public var promptTokens: Int
    /// Why generation ended.
    public var finishReason: FinishReason
    /// Seconds from the start until the first new token (prompt processing and the first sample).
    public var promptSeconds: Double
    /// Seconds from the first new token to the end.
    public var generateSeconds: Double
}

/// Settings of one generation.
public struct GenerationOptions: Codable, Sendable {
    /// Most tokens to generate (also bounded by the cache's free positions).
    public var maxTokens: Int = 256
    /// How each token is drawn (greedy by default).
    public var sampling = SamplingOptions()
    /// Strings that end generation when they appear in the output; they are not included in the text.
    public var stopStrings: [String] = []

    /// Settings with the given limits, sampling and stop strings.
    public init(maxTokens: Int = 256, sampling: SamplingOptions = SamplingOptions(), stopStrings: [String] = []) {
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stopStrings = stopStrings
    }
}

/// Generates text from a model and its tokenizer.
public struct TextGenerator {
    /// The model that produces logits.
    public let model: any LanguageModel
    /// The tokenizer that encodes prompts and decodes output.
    public let tokenizer: any Tokenizer
    /// Token ids that end a turn (EOS, and the template's end-of-turn tokens).
    public let stopTokens: Set<Int>

    /// A generator that stops at the tokenizer's EOS and at `extraStopTokens` (token texts such as "<|im_end|>";
    /// those not in the vocabulary are ignored).
    public init(model: any LanguageModel, tokenizer: any Tokenizer, extraStopTokens: [String] = []) {
        self.model = model
        self.tokenizer = tokenizer
        var stops = Set(extraStopTokens.compactMap { tokenizer.tokenID($0) })
        if let eos = tokenizer.eosTokenID { stops.insert(eos) }
        stopTokens = stops
    }

    /// Generates after `prompt` (text; special tokens in it are parsed). `addBOS` overrides the tokenizer's
    /// default (pass false for a prompt rendered by a chat template, which writes its own BOS text).
    /// `onText` receives text as it becomes final and returns false to stop early. A `cache` holding a prefix
    /// of the prompt's tokens (`cachedTokens`) is reused.
    public func generate(prompt: String, options: GenerationOptions, addBOS: Bool? = nil, cache: KVCache? = nil,
                         cachedTokens: [Int] = [], onText: (String) -> Bool = { _ in true }) throws -> GenerationResult {
        let promptIDs = tokenizer.encode(prompt, addBOS: addBOS ?? tokenizer.addsBOS, parseSpecial: true)
        guard !promptIDs.isEmpty else {
            throw ModelError.invalid(file: "prompt", field: "text",
                                     problem: "the prompt encodes to no tokens (is it empty, or made of bytes the vocabulary lacks?)")
        }
        let cache = cache ?? model.makeCache(
            capacity: min(model.contextLength, promptIDs.count + min(max(options.maxTokens, 0), model.contextLength)))
        // Reuse the longest cached prefix, but always run at least the last prompt token.
        var common = 0
        while common < min(cachedTokens.count, promptIDs.count - 1, cache.length) && cachedTokens[common] == promptIDs[common] { common += 1 }
        cache.truncate(to: common)
        let maxNew = min(options.maxTokens, cache.capacity - promptIDs.count)
        guard maxNew > 0 else { throw ModelError.contextOverflow(needed: promptIDs.count + 1, capacity: cache.capacity) }
        var stream = StopStringStream(stops: options.stopStrings, decoder: StreamingDecoder(tokenizer: tokenizer))
        var stopped = false
        let start = DispatchTime.now().uptimeNanoseconds
        var firstTokenAt: UInt64 = 0
        let tokens = try model.generateTokens(prompt: Array(promptIDs[common...]), maxTokens: maxNew,
                                              sampling: options.sampling, stopTokens: stopTokens, cache: cache,
                                              history: Array(promptIDs[..<common])) { id in
            if firstTokenAt == 0 { firstTokenAt = DispatchTime.now().uptimeNanoseconds }
            let (piece, hitStop) = stream.append(id)
            if !piece.isEmpty && !onText(piece) { stopped = true }
            if hitStop { stopped = true }
            return !stopped
        }
        if !stopped, case let rest = stream.finish(), !rest.isEmpty { _ = onText(rest) }
        let end = DispatchTime.now().uptimeNanoseconds
        let finish: FinishReason = stopped || tokens.count < maxNew ? .stop : .length
        let promptEnd = firstTokenAt == 0 ? end : firstTokenAt
        return GenerationResult(text: stream.text, tokens: tokens, promptTokens: promptIDs.count, finishReason: finish,
                                promptSeconds: Double(promptEnd - start) / 1e9, generateSeconds: Double(end - promptEnd) / 1e9)
    }
}

/// Decoded text of a token stream, cut at the first stop string, handed out in pieces that can no longer change:
/// whole Unicode scalars (a combining mark arriving later is its own piece, not lost), and never the start of
/// what may become a stop string.
public struct StopStringStream: Sendable {
    let stops: [[Unicode.Scalar]]
    var decoder: StreamingDecoder
    private var scalars: [Unicode.Scalar] = []
    private var emitted = 0
    private var stopped = false

    /// A stream that decodes with `decoder` and cuts at the first of `stops` (empty strings are ignored).
    public init(stops: [String], decoder: StreamingDecoder) {
        self.stops = stops.filter { !$0.isEmpty }.map { Array($0.unicodeScalars) }
        self.decoder = decoder
    }

    /// All the text so far, cut at a stop string.
    public var text: String { String(String.UnicodeScalarView(scalars)) }

    /// Adds a token; returns the new final text and whether a stop string was reached.
    public mutating func append(_ id: Int) -> (String, Bool) {
        guard !stopped else { return ("", true) }
        scalars.append(contentsOf: decoder.append(id).unicodeScalars)
        if let cut = firstStop() {
            scalars.removeSubrange(cut...)
            stopped = true
            return (take(upTo: scalars.count), true)
        }
        return (take(upTo: scalars.count - heldBack()), false)
    }

    /// The rest once generation ends without a stop string.
    public mutating func finish() -> String {
        guard !stopped else { return "" }
        scalars.append(contentsOf: decoder.flush().unicodeScalars)
        if let cut = firstStop() { scalars.removeSubrange(cut...) }
        return take(upTo: scalars.count)
    }

    private mutating func take(upTo end: Int) -> String {
        guard end > emitted else { return "" }
        defer { emitted = end }
        return String(String.UnicodeScalarView(scalars[emitted..<end]))
    }

    /// Where the earliest stop string begins, searching from a little before the unemitted text.
    private func firstStop() -> Int? {
        var best: Int?
        for stop in stops where stop.count <= scalars.count {
            var i = max(0, emitted - stop.count)
            while i + stop.count <= scalars.count {
                if scalars[i..<(i + stop.count)].elementsEqual(stop) { best = min(best ?? i, i); break }
                i += 1
            }
        }
        return best
    }

    /// Scalars at the end that could begin a stop string.
    private func heldBack() -> Int {
        var hold = 0
        for stop in stops {
            for n in stride(from: min(stop.count - 1, scalars.count), to: 0, by: -1)
            where scalars[(scalars.count - n)...].elementsEqual(stop[..<n]) {
                hold = max(hold, n)
                break
            }
        }
        return hold
    }
}
