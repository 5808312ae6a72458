// Token sampling as llama.cpp chains it: repetition penalty, top-k, top-p, min-p, temperature, then a draw
// from one seeded generator (temperature 0 is greedy).
import Foundation
import MimicCore
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
        return Sampler.pick(l, options: options, u: rng.nextUnit())
    }

    /// The token the filter chain picks for a uniform draw `u` in [0, 1): the candidates in descending logit
    /// order (ties by id) are cut by top-k, then top-p and min-p (on probabilities at temperature 1 over the
    /// top-k set), then the first whose cumulative probability at `temperature` exceeds `u` is taken.
    /// Only as much of the order as the cuts and the draw look at is sorted (usually a few hundred ids, not the
    /// vocabulary): `pickReference` is the plain full-sort version the tests hold this to.
    public static func pick(_ l: [Float], options o: SamplingOptions, u: Double) -> Int {
        var ranked = RankedPrefix(l)
        let n = l.count, m = Double(ranked.max)
        let k = o.topK > 0 ? min(o.topK, n) : n
        // Normaliser at temperature 1 over the top-k set.
        var z1 = 0.0
        if k == n { for x in l { z1 += exp(Double(x) - m) } } else { for i in 0..<k { z1 += exp(Double(l[ranked.id(i)]) - m) } }
        var keep = k
        if o.topP < 1 {
            var cum = 0.0
            for i in 0..<k {
                cum += exp(Double(l[ranked.id(i)]) - m) / z1
                if cum >= o.topP { keep = i + 1; break }
            }
        }
        if o.minP > 0 {
            let floor = o.minP * exp(0) / z1   // p_top = exp(m - m) / z1
            var count = 0
            while count < keep && exp(Double(l[ranked.id(count)]) - m) / z1 >= floor { count += 1 }
            keep = max(1, count)
        }
        // The draw at temperature T over the kept ids, in ranked order.
        let t = o.temperature
        var zt = 0.0
        if keep == n { for x in l { zt += exp((Double(x) - m) / t) } } else { for i in 0..<keep { zt += exp((Double(l[ranked.id(i)]) - m) / t) } }
        var cum = 0.0
        for i in 0..<keep {
            cum += exp((Double(l[ranked.id(i)]) - m) / t) / zt
            if u < cum { return ranked.id(i) }
        }
        return ranked.id(keep - 1)
    }

    /// The plain version of `pick`: sort the whole vocabulary, then cut and draw (for tests).
    public static func pickReference(_ l: [Float], options o: SamplingOptions, u: Double) -> Int {
        var ids = Array(0..<l.count)
        ids.sort { l[$0] > l[$1] || (l[$0] == l[$1] && $0 < $1) }
        if o.topK > 0 && o.topK < ids.count { ids.removeLast(ids.count - o.topK) }
        // Probabilities (at temperature 1, as llama.cpp's top-p and min-p see them).
        let probs = softmax(ids.map { Double(l[$0]) })
        if o.topP < 1 {
            var cum = 0.0, keep = ids.count
            for (i, p) in probs.enumerated() {
                cum += p
                if cum >= o.topP { keep = i + 1; break }
            }
            ids.removeLast(ids.count - keep)
        }
        if o.minP > 0, let top = probs.first {
            let keep = max(1, probs.prefix(ids.count).filter { $0 >= o.minP * top }.count)
            ids.removeLast(ids.count - keep)
        }
        let final = softmax(ids.map { Double(l[$0]) / o.temperature })
        var cum = 0.0
        for (i, p) in final.enumerated() {
            cum += p
            if u < cum { return ids[i] }
        }
        return ids[ids.count - 1]
    }

    private static func softmax(_ x: [Double]) -> [Double] {
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

/// The ids in descending logit order (ties by id), sorted only as far as they are asked for: candidates within a
/// logit gap of the maximum are sorted first, and the gap widens (at last to the whole vocabulary) when an id past
/// them is needed. Every id outside the gap has a smaller logit than every id inside, so the prefix is exact.
struct RankedPrefix {
    let logits: [Float]
    let max: Float
    private var sorted: [Int] = []
    private var gap: Float = 8

    init(_ logits: [Float]) {
        self.logits = logits
        max = logits.max() ?? 0
    }

    /// The i-th id in ranked order.
    mutating func id(_ i: Int) -> Int {
        while i >= sorted.count { widen() }
        return sorted[i]
    }

    private mutating func widen() {
        let l = logits
        let cutoff = gap.isInfinite ? -Float.infinity : max - gap
        var ids = gap.isInfinite ? Array(0..<l.count) : l.indices.filter { l[$0] >= cutoff }
        if ids.count == sorted.count && !gap.isInfinite {   // nothing new inside this gap: widen at once
            gap = gap >= 64 ? .infinity : gap * 4
            return widen()
        }
        ids.sort { l[$0] > l[$1] || (l[$0] == l[$1] && $0 < $1) }
        sorted = ids
        gap = gap >= 64 ? .infinity : gap * 4
    }
}
