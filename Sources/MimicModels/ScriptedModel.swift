// ScriptedModel: a dummy LanguageModel for tests of everything above the model (generation, stop strings,
// scoring, servers): it always predicts the next token of a fixed script, whatever the input.
import MimicTensor

/// A LanguageModel whose logits put `peak` on the script's token at each position (the position in the cache),
/// and 0 elsewhere. After the script ends it predicts `fallback`.
public final class ScriptedModel: LanguageModel, @unchecked Sendable {
    public let vocabularySize: Int
    public let contextLength: Int
    public let script: [Int]
    public let fallback: Int
    public let peak: Float
    public var exactActivations = false
    /// Every batch of tokens `forward` was given, in order.
    public private(set) var calls: [[Int]] = []

    public init(vocabularySize: Int, script: [Int], fallback: Int = 0, contextLength: Int = 256, peak: Float = 10) {
        self.vocabularySize = vocabularySize
        self.script = script
        self.fallback = fallback
        self.contextLength = contextLength
        self.peak = peak
    }

    public var summary: String { "scripted: \(script.count) tokens, vocabulary \(vocabularySize)" }

    public func makeCache(capacity: Int?) -> KVCache { KVCache(layers: 0, width: 0, capacity: capacity ?? contextLength) }

    /// The script's token for the position after `position`.
    func next(after position: Int) -> Int { position < script.count ? script[position] : fallback }

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
