// The leakage filter: drop evaluation prompts whose sentence BLEU against some training query exceeds a threshold.
import Foundation
import MimicCore
import MimicMetrics

/// One evaluation prompt that the leakage filter dropped.
public struct LeakedPrompt: Sendable, Hashable, Codable {
    /// Its position among the evaluation prompts (0-based).
    public var evalIndex: Int
    /// The prompt.
    public var prompt: String
    /// Its nearest training query's position among the training queries (0-based).
    public var trainIndex: Int
    /// That training query.
    public var trainQuery: String
    /// `sentence_bleu(prompt, [trainQuery])`, 0...100.
    public var score: Double

    /// A dropped prompt from its parts.
    public init(evalIndex: Int, prompt: String, trainIndex: Int, trainQuery: String, score: Double) {
        self.evalIndex = evalIndex
        self.prompt = prompt
        self.trainIndex = trainIndex
        self.trainQuery = trainQuery
        self.score = score
    }
}

/// What `Leakage.filter` decided.
public struct LeakageReport: Sendable, Hashable {
    /// The indices of the evaluation prompts kept, in order.
    public var kept: [Int]
    /// The dropped ones, in order, each with its nearest training query.
    public var dropped: [LeakedPrompt]
    /// Every evaluation prompt's nearest training query (index nil when there is no training query).
    public var neighbors: [BLEUNeighbor]
    /// The threshold used.
    public var threshold: Double
}

/// The paper's leakage filter (footnote 2): an evaluation prompt is dropped when its sentence BLEU against any
/// training query exceeds the threshold (20 by default).
///
/// Direction (the same as `Diversity`): the evaluation prompt is the hypothesis and the training query the
/// single reference, `sacrebleu.sentence_bleu(prompt, [trainingQuery])`; the maximum over training queries is
/// found exactly by `BLEUNearestIndex`. "Exceeds" is strict: a score equal to the threshold is kept.
public enum Leakage {
    /// The default threshold, in BLEU points.
    public static let defaultThreshold = 20.0

    /// Filters `evaluation` against `training` on `threads` threads.
    public static func filter(evaluation: [String], training: [String], threshold: Double = defaultThreshold,
                              threads: Int = 2, progress: (@Sendable (Int, Int) -> Void)? = nil) -> LeakageReport {
        let index = BLEUNearestIndex(references: training)
        let neighbors = index.nearest(for: evaluation, threads: threads, progress: progress)
        return report(evaluation: evaluation, training: training, neighbors: neighbors, threshold: threshold)
    }

    /// The same decision by brute force over every (prompt, training query) pair (for tests).
    public static func bruteForce(evaluation: [String], training: [String],
                                  threshold: Double = defaultThreshold) -> LeakageReport {
        let counted = BLEU.countedSegments(evaluation + training)
        let neighbors = evaluation.indices.map { i -> BLEUNeighbor in
            var best = BLEUNeighbor(index: nil, score: 0)
            for j in training.indices {
                let score = BLEU.score(BLEU.statistics(counted[i], [counted[evaluation.count + j]])).score
                if best.index == nil || score > best.score { best = BLEUNeighbor(index: j, score: score) }
            }
            return best
        }
        return report(evaluation: evaluation, training: training, neighbors: neighbors, threshold: threshold)
    }

    static func report(evaluation: [String], training: [String], neighbors: [BLEUNeighbor],
                       threshold: Double) -> LeakageReport {
        var kept: [Int] = [], dropped: [LeakedPrompt] = []
        for (i, neighbor) in neighbors.enumerated() {
            if let j = neighbor.index, neighbor.score > threshold {
                dropped.append(LeakedPrompt(evalIndex: i, prompt: evaluation[i], trainIndex: j, trainQuery: training[j],
                                            score: neighbor.score))
            } else {
                kept.append(i)
            }
        }
        return LeakageReport(kept: kept, dropped: dropped, neighbors: neighbors, threshold: threshold)
    }
}
