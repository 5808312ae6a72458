// ScriptedModel: a dummy LanguageModel for tests of everything above the model (generation, stop strings,
// scoring, servers): it always predicts the next token of a fixed script, whatever the input.
import MimicTensor

/// A LanguageModel whose logits put `peak` on the script's token at each position (the position in the cache),
/// and 0 elsewhere. After the script ends it predicts `fallback`.
public final class ScriptedModel: LanguageModel, @unchecked Sendable {
    /// Vocabulary size of the logits.
    public let vocabularySize: Int
    /// Default cache capacity, in positions.
    public let contextLength: Int
    /// The tokens predicted at positions 0, 1, 2, ….
    public let script: [Int]
    /// The token predicted after the script ends.
    public let fallback: Int
    /// The logit given to the predicted token (all others are 0).
    public let peak: Float
    /// Ignored (no weights); present for `LanguageModel`.
    public var exactActivations = false
    /// Every batch of tokens `forward` was given, in order.
    public private(set) var calls: [[Int]] = []

    /// A model that predicts `script`, then `fallback`; its caches hold `contextLength` positions by default.
    public init(vocabularySize: Int, script: [Int], fallback: Int = 0, contextLength: Int = 256, peak: Float = 10) {
        self.vocabularySize = vocabularySize
        self.script = script
        self.fallback = fallback
        self.contextLength = contextLength
        self.peak = peak
    }

    /// One line: script length and vocabulary size.
    public var summary: String { "scripted: \(script.count) tokens, vocabulary \(vocabularySize)" }

    /// An empty cache (no layers) that only counts positions, up to `capacity` (default `contextLength`).
    public func makeCache(capacity: Int?) -> KVCache { KVCache(layers: 0, width: 0, capacity: capacity ?? contextLength) }

    /// The script's token for the position after `position`.
    func next(after position: Int) -> Int { position < script.count ? script[position] : fallback }

    /// Records the call, advances the cache and returns (rows, vocab) logits per `mode` with `peak` on the
    /// script's token for each position; throws ModelError.contextOverflow if the cache is full.
    public func forward(_ tokens: [Int], cache: KVCache, logits mode: LogitsMode) throws -> Tensor {
        try cache.reserve(tokens.count)
        calls.append(tokens)
        let p0 = cache.length
        cache.length += tokens.count
        guard let first = mode.firstRow(of: tokens.count) else { return Tensor(zeros: [0, vocabularySize]) }
        let out = Tensor(zeros: [tokens.count - first, vocabularySize])
        for r in 0..<(tokens.count - first) {
            out.row(r)[next(after: p0 + first + r)] = peak
        }
        return out
    }
}
