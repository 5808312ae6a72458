// The paper's diversity figure: each query's sentence BLEU against its most similar other query, and the mean.
import Foundation
import MimicCore
import MimicMetrics

/// Self-BLEU diversity of a set of queries (lower = more diverse; the paper: 8 for ShareGPT-Mix, 61 for
/// Super-NaturalInstructions).
///
/// Direction: for query i the score is `max over j ≠ i of sacrebleu.sentence_bleu(queries[i], [queries[j]])`,
/// i.e. query i is the hypothesis and the other query the single reference (sentence BLEU is not symmetric:
/// the brevity penalty and the precisions are the hypothesis's). An empty query scores 0; a set of one query
/// scores 0 with no neighbour.
public struct DiversityReport: Sendable, Hashable, Codable {
    /// How many queries.
    public var count: Int
    /// The mean over queries of their best score, 0...100: the paper's figure.
    public var mean: Double
    /// Per query, its most similar other query and the score.
    public var neighbors: [BLEUNeighbor]

    /// A report from its parts.
    public init(count: Int, mean: Double, neighbors: [BLEUNeighbor]) {
        self.count = count
        self.mean = mean
        self.neighbors = neighbors
    }

    init(_ neighbors: [BLEUNeighbor]) {
        var sum = 0.0
        for n in neighbors { sum += n.score }
        self.init(count: neighbors.count, mean: neighbors.isEmpty ? 0 : sum / Double(neighbors.count),
                  neighbors: neighbors)
    }
}

/// Computes `DiversityReport`s.
public enum Diversity {
    /// The exact self-BLEU of `queries` through `BLEUNearestIndex` on `threads` threads (the result does not
    /// depend on it). `progress(done, total)` is called as queries finish (from worker threads, serialised).
    public static func selfBLEU(_ queries: [String], threads: Int = 2,
                                progress: (@Sendable (Int, Int) -> Void)? = nil) -> DiversityReport {
        let tokens = ParallelMap.run(queries.count, threads: threads, chunk: 64, state: { () }) { i, _ in
            BLEU.tokens(queries[i])
        }
        let index = BLEUNearestIndex(tokenized: tokens)
        return DiversityReport(index.nearestOthers(threads: threads, progress: progress))
    }

    /// The same figure by brute force: sentence BLEU (`BLEU.score` of `BLEU.statistics`) of every ordered pair,
    /// each query tokenised and counted once (for tests; O(n²)).
    public static func bruteForce(_ queries: [String]) -> DiversityReport {
        let counted = BLEU.countedSegments(queries)
        let neighbors = queries.indices.map { i -> BLEUNeighbor in
            var best = BLEUNeighbor(index: nil, score: 0)
            for j in queries.indices where j != i {
                let score = BLEU.score(BLEU.statistics(counted[i], [counted[j]])).score
                if best.index == nil || score > best.score { best = BLEUNeighbor(index: j, score: score) }
            }
            return best
        }
        return DiversityReport(neighbors)
    }
}
