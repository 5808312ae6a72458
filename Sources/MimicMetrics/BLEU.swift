// BLEU exactly as sacrebleu 2.4.3 computes it (13a tokens, n-grams up to 4, its smoothing and brevity penalty).
import Foundation

/// How zero n-gram matches are smoothed (sacrebleu's `smooth_method` and `smooth_value`).
public enum BLEUSmoothing: Sendable, Hashable {
    /// No smoothing: a zero precision gives a score of 0.
    case none
    /// A zero precision becomes `value / total` (sacrebleu's `floor`; its default value is 0.1).
    case floor(Double)
    /// Adds `value` to the matches and totals of orders 2 and up (sacrebleu's `add-k`; default 1).
    case addK(Double)
    /// The k-th zero precision becomes `1 / (2^k · total)` (sacrebleu's `exp`, mteval-v13a; the default).
    case exp
}

/// The sufficient statistics of one segment (or, summed, of a corpus): sacrebleu's
/// `[hyp_len, ref_len] + correct + total` list.
public struct BLEUStatistics: Sendable, Hashable {
    /// Hypothesis length in tokens.
    public var hypothesisLength: Int
    /// The reference length used for the brevity penalty (the closest to the hypothesis; the shorter on a tie).
    public var referenceLength: Int
    /// Clipped n-gram matches, orders 1...4.
    public var correct: [Int]
    /// Hypothesis n-grams, orders 1...4.
    public var total: [Int]

    /// Statistics from their parts.
    public init(hypothesisLength: Int, referenceLength: Int, correct: [Int], total: [Int]) {
        self.hypothesisLength = hypothesisLength
        self.referenceLength = referenceLength
        self.correct = correct
        self.total = total
    }

    /// All zeros (the neutral element of `+`).
    public static let zero = BLEUStatistics(hypothesisLength: 0, referenceLength: 0, correct: [0, 0, 0, 0],
                                            total: [0, 0, 0, 0])

    /// The element-wise sum (corpus statistics are the sum of the segments').
    public static func + (a: BLEUStatistics, b: BLEUStatistics) -> BLEUStatistics {
        BLEUStatistics(hypothesisLength: a.hypothesisLength + b.hypothesisLength,
                       referenceLength: a.referenceLength + b.referenceLength,
                       correct: zip(a.correct, b.correct).map(+), total: zip(a.total, b.total).map(+))
    }
}

/// A BLEU score with what it was computed from (sacrebleu's `BLEUScore`).
public struct BLEUScore: Sendable, Hashable {
    /// The score, 0...100.
    public var score: Double
    /// The statistics it came from (matches and totals as given; `addK` does not change them here).
    public var statistics: BLEUStatistics
    /// The n-gram precisions in percent, after smoothing (0 for orders not reached).
    public var precisions: [Double]
    /// The brevity penalty.
    public var brevityPenalty: Double
}

/// sacrebleu-compatible BLEU: `sentence` is `sacrebleu.sentence_bleu` and `corpus` is `sacrebleu.corpus_bleu`
/// with their default arguments (13a tokens, case-sensitive, max order 4).
public enum BLEU {
    /// The maximum n-gram order.
    public static let maxOrder = 4

    /// A segment's tokens as sacrebleu sees them: right-stripped (`str.rstrip()`), then `Tokenizer13a`.
    public static func tokens(_ segment: String) -> [[UInt32]] {
        Tokenizer13a.scalarTokens(Tokenizer13a.rstrip(segment))
    }

    /// `sentence_bleu(hypothesis, references)`: defaults `exp` smoothing and effective order.
    public static func sentence(_ hypothesis: String, _ references: [String], smoothing: BLEUSmoothing = .exp,
                                effectiveOrder: Bool = true) -> BLEUScore {
        score(statistics(hypothesis, references), smoothing: smoothing, effectiveOrder: effectiveOrder)
    }

    /// `corpus_bleu(hypotheses, references)`: `references[k][i]` is the k-th reference of segment i (sacrebleu's
    /// layout: one list per reference stream). Defaults: `exp` smoothing, no effective order.
    public static func corpus(_ hypotheses: [String], _ references: [[String]], smoothing: BLEUSmoothing = .exp,
                              effectiveOrder: Bool = false) -> BLEUScore {
        var sum = BLEUStatistics.zero
        for (i, hypothesis) in hypotheses.enumerated() {
            let refs = references.compactMap { i < $0.count ? $0[i] : nil }
            sum = sum + statistics(hypothesis, refs)
        }
        return score(sum, smoothing: smoothing, effectiveOrder: effectiveOrder)
    }

    /// One segment's statistics against its references (n-gram counts clipped by the maximum count over them).
    public static func statistics(_ hypothesis: String, _ references: [String]) -> BLEUStatistics {
        var vocabulary: [[UInt32]: Int32] = [:]
        func ids(_ text: String) -> [Int32] {
            tokens(text).map { token in
                if let id = vocabulary[token] { return id }
                let id = Int32(vocabulary.count)
                vocabulary[token] = id
                return id
            }
        }
        let hyp = ids(hypothesis)
        let refs = references.map(ids)
        return statistics(NGramCounts(hyp), refs.map(NGramCounts.init))
    }

    /// A segment's n-gram counts (orders 1...4) over token ids, and its length.
    package struct NGramCounts {
        let length: Int
        let counts: [[Int32]: Int]
        package init(_ ids: [Int32]) {
            length = ids.count
            counts = BLEU.ngramCounts(ids)
        }
    }

    /// Statistics from counted segments (ids from one shared vocabulary).
    package static func statistics(_ hyp: NGramCounts, _ refs: [NGramCounts]) -> BLEUStatistics {
        var refCounts: [[Int32]: Int] = refs.count == 1 ? refs[0].counts : [:]
        if refs.count > 1 {
            for ref in refs {
                for (gram, count) in ref.counts { refCounts[gram] = max(refCounts[gram] ?? 0, count) }
            }
        }
        var correct = [0, 0, 0, 0], total = [0, 0, 0, 0]
        for (gram, count) in hyp.counts {
            total[gram.count - 1] += count
            if let r = refCounts[gram] { correct[gram.count - 1] += min(count, r) }
        }
        return BLEUStatistics(hypothesisLength: hyp.length,
                              referenceLength: closestReferenceLength(hyp.length, refs.map(\.length)),
                              correct: correct, total: total)
    }

    /// `statistics` for many segments at once: each string tokenised and counted once, ids shared.
    package static func countedSegments(_ texts: [String]) -> [NGramCounts] {
        var vocabulary: [[UInt32]: Int32] = [:]
        return texts.map { text in
            NGramCounts(tokens(text).map { token in
                if let id = vocabulary[token] { return id }
                let id = Int32(vocabulary.count)
                vocabulary[token] = id
                return id
            })
        }
    }

    /// sacrebleu's `_get_closest_ref_len`: the reference length closest to `hypothesis`, the shorter on a tie;
    /// -1 (as sacrebleu) with no references.
    public static func closestReferenceLength(_ hypothesis: Int, _ lengths: [Int]) -> Int {
        var closestDiff = -1, closest = -1
        for length in lengths {
            let diff = abs(hypothesis - length)
            if closestDiff == -1 || diff < closestDiff {
                closestDiff = diff
                closest = length
            } else if diff == closestDiff, length < closest {
                closest = length
            }
        }
        return closest
    }

    static func ngramCounts(_ ids: [Int32]) -> [[Int32]: Int] {
        var counts: [[Int32]: Int] = [:]
        for n in 1...maxOrder where ids.count >= n {
            for i in 0...(ids.count - n) { counts[Array(ids[i..<(i + n)]), default: 0] += 1 }
        }
        return counts
    }

    /// The brevity penalty: `exp(1 - ref/hyp)` when the hypothesis is shorter (0 for an empty one), else 1.
    @inline(__always)
    public static func brevityPenalty(hypothesisLength: Int, referenceLength: Int) -> Double {
        guard hypothesisLength < referenceLength else { return 1.0 }
        guard hypothesisLength > 0 else { return 0.0 }
        return Foundation.exp(1 - Double(referenceLength) / Double(hypothesisLength))
    }

    /// sacrebleu's `BLEU.compute_bleu`, operation for operation (the same floating-point results).
    public static func score(_ stats: BLEUStatistics, smoothing: BLEUSmoothing = .exp,
                             effectiveOrder: Bool = true) -> BLEUScore {
        let bp = brevityPenalty(hypothesisLength: stats.hypothesisLength, referenceLength: stats.referenceLength)
        var precisions = [Double](repeating: 0, count: maxOrder)
        guard stats.correct.contains(where: { $0 != 0 }) else {
            return BLEUScore(score: 0, statistics: stats, precisions: precisions, brevityPenalty: bp)
        }
        var smoothMteval = 1.0
        var order = maxOrder
        for n in 1...maxOrder {
            var correct = Double(stats.correct[n - 1]), total = Double(stats.total[n - 1])
            if case .addK(let k) = smoothing, n > 1 {
                correct += k
                total += k
            }
            if total == 0 { break }
            if effectiveOrder { order = n }
            if correct == 0 {
                switch smoothing {
                case .exp:
                    smoothMteval *= 2
                    precisions[n - 1] = 100.0 / (smoothMteval * total)
                case .floor(let value):
                    precisions[n - 1] = 100.0 * value / total
                case .none, .addK:
                    break
                }
            } else {
                precisions[n - 1] = 100.0 * correct / total
            }
        }
        var logSum = 0.0
        for p in precisions[0..<order] { logSum += p == 0 ? -9_999_999_999 : Foundation.log(p) }
        let score = bp * Foundation.exp(logSum / Double(order))
        return BLEUScore(score: score, statistics: stats, precisions: precisions, brevityPenalty: bp)
    }
}
