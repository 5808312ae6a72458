// Accuracy of a multiple-choice item from its choices' log-likelihoods (lm-evaluation-harness's acc and acc_norm),
// and the `acc` / `acc_norm` metrics.
import Foundation

/// Accuracy of a multiple-choice item from its choices' log-likelihoods.
public enum ChoiceAccuracy {
    /// 1 when the most likely choice is the gold one (ties go to the first).
    public static func acc(_ logLikelihoods: [Double], gold: Int) -> Double {
        argmax(logLikelihoods) == gold ? 1 : 0
    }

    /// As `acc`, each log-likelihood divided by its choice's length in characters (lm-evaluation-harness's acc_norm).
    public static func accNorm(_ logLikelihoods: [Double], choices: [String], gold: Int) -> Double {
        let normed = zip(logLikelihoods, choices).map { ll, c in ll / Double(max(c.unicodeScalars.count, 1)) }
        return argmax(normed) == gold ? 1 : 0
    }

    static func argmax(_ xs: [Double]) -> Int {
        var best = 0
        for i in xs.indices where xs[i] > xs[best] { best = i }
        return best
    }
}

/// `acc` and `acc_norm`: 1 when the gold choice is the most likely (per character with `lengthNormalized`), the
/// mean over items.
public struct AccuracyMetric: Metric {
    /// Whether each log-likelihood is divided by its choice's length (acc_norm).
    public let lengthNormalized: Bool
    public var reportName: String { lengthNormalized ? "acc_norm" : "acc" }
    public var input: MetricInput { .choiceLogLikelihoods }

    /// acc, or acc_norm with `lengthNormalized`.
    public init(lengthNormalized: Bool) { self.lengthNormalized = lengthNormalized }

    public func score(_ item: MetricItem) throws -> MetricItemScore? {
        guard let lls = item.logLikelihoods, let gold = item.gold, let choices = item.choices else { return nil }
        return MetricItemScore(value: lengthNormalized ? ChoiceAccuracy.accNorm(lls, choices: choices, gold: gold)
            : ChoiceAccuracy.acc(lls, gold: gold))
    }
}
