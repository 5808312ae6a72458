// Token sampling as llama.cpp chains it: repetition penalty, top-k, top-p, min-p, temperature, then a draw
// from one seeded generator (temperature 0 is greedy).
import Foundation
import MimicTensor

/// Sampling settings; the defaults are greedy decoding.
public struct SamplingOptions: Codable, Sendable, Equatable {
    /// 0 picks the most likely token.
    public var temperature: Double = 0
    /// Keep the k most likely tokens (0: all).
    public var topK: Int = 0
    /// Keep the smallest set whose probability reaches p (1: all).
    public var topP: Double = 1
    /// Drop tokens less likely than minP × the most likely one (0: none).
    public var minP: Double = 0
    /// Divide positive (multiply negative) logits of recently seen tokens by this (1: off).
    public var repetitionPenalty: Double = 1
    /// How many recent tokens the penalty looks at (-1: all of them).
    public var repeatLastN: Int = 64
    /// Seed of the generator that draws tokens (the same seed gives the same tokens).
    public var seed: UInt64 = 0

    /// Sampling settings; every default leaves its stage off, so `SamplingOptions()` is greedy.
    public init(temperature: Double = 0, topK: Int = 0, topP: Double = 1, minP: Double = 0,
                repetitionPenalty: Double = 1, repeatLastN: Int = 64, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.repeatLastN = repeatLastN
        self.seed = seed
    }
}

/// Draws tokens from logits under `SamplingOptions`, deterministically for a seed.
public struct Sampler: Sendable {
    /// The settings this sampler applies.
    public let options: SamplingOptions
    private var rng: SeededGenerator

    /// A sampler whose generator is seeded with `options.seed`.
    public init(_ options: SamplingOptions) {
        self.options = options
        rng = SeededGenerator(seed: options.seed)
    }

    /// Picks the next token from `logits` (vocab) given the tokens so far (for the penalty).
    public mutating func sample(_ logits: UnsafePointer<Float>, count n: Int, history: [Int]) -> Int {
        var l = Array(UnsafeBufferPointer(start: logits, count: n))
        if options.repetitionPenalty != 1 {
            let p = Float(options.repetitionPenalty)
            let window = options.repeatLastN < 0 ? history[...] : history.suffix(options.repeatLastN)
            for t in Set(window) where t >= 0 && t < n {
                l[t] = l[t] > 0 ? l[t] / p : l[t] * p
            }
        }
        if options.temperature <= 0 { return argmax(l) }
        var ids = Array(0..<n)
        ids.sort { l[$0] > l[$1] || (l[$0] == l[$1] && $0 < $1) }
        if options.topK > 0 && options.topK < ids.count { ids.removeLast(ids.count - options.topK) }
        // Probabilities (at temperature 1, as llama.cpp's top-p and min-p see them).
        var probs = softmax(ids.map { Double(l[$0]) })
        if options.topP < 1 {
            var cum = 0.0, keep = ids.count
            for (i, p) in probs.enumerated() {
                cum += p
                if cum >= options.topP { keep = i + 1; break }
            }
            ids.removeLast(ids.count - keep)
        }
        if options.minP > 0, let top = probs.first {
            let keep = max(1, probs.prefix(ids.count).filter { $0 >= options.minP * top }.count)
            ids.removeLast(ids.count - keep)
        }
        probs = softmax(ids.map { Double(l[$0]) / options.temperature })
        let u = rng.nextUnit()
        var cum = 0.0
        for (i, p) in probs.enumerated() {
            cum += p
            if u < cum { return ids[i] }
        }
        return ids[ids.count - 1]
    }

    private func softmax(_ x: [Double]) -> [Double] {
        let m = x.max() ?? 0
        let e = x.map { exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}

/// The index of the largest value (the first one on ties).
public func argmax(_ x: [Float]) -> Int {
    var best = 0
    for i in 1..<max(x.count, 1) where x[i] > x[best] { best = i }
    return best
}
