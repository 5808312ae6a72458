// Self-BLEU diversity and the leakage filter against brute force over every pair, on generated queries.
import Foundation
import MimicCore
import MimicTeacher
import MimicData
import Testing
import MimicMetrics

/// Seeded English-like queries with near-duplicates, exact duplicates, empty and one-token queries, long ones.
func generatedQueries(_ count: Int, seed: UInt64) -> [String] {
    var rng = SplitMix64(seed: seed)
    let words = ("how do I write a python function that sorts list of numbers in the fast way ? what is best to "
        + "explain quantum physics simple terms for child , . ! 3.14 1,000 rate-limit can you give me an example "
        + "story about dog cat river tell poem summarize this text translate into french").split(separator: " ").map(String.init)
    func sentence(_ n: Int) -> String {
        (0..<n).map { _ in words[rng.below(words.count)] }.joined(separator: " ")
    }
    var queries: [String] = []
    while queries.count < count {
        let r = rng.below(100)
        if r < 5 {
            queries.append(rng.below(2) == 0 ? "" : "   ")
        } else if r < 12, !queries.isEmpty {
            queries.append(queries[rng.below(queries.count)])
        } else if r < 40, !queries.isEmpty {
            var tokens = queries[rng.below(queries.count)].split(separator: " ").map(String.init)
            for _ in 0..<(1 + rng.below(3)) where !tokens.isEmpty {
                tokens[rng.below(tokens.count)] = words[rng.below(words.count)]
            }
            if rng.below(3) == 0 { tokens.append(contentsOf: sentence(1 + rng.below(8)).split(separator: " ").map(String.init)) }
            queries.append(tokens.joined(separator: " "))
        } else if r < 50 {
            queries.append(sentence(1 + rng.below(3)))
        } else if r < 55 {
            queries.append(sentence(60 + rng.below(80)))
        } else {
            queries.append(sentence(4 + rng.below(25)))
        }
    }
    return queries
}

@Suite struct DiversityTests {
    @Test func selfBLEUEqualsBruteForceOnGeneratedQueries() {
        let queries = generatedQueries(300, seed: 7)
        #expect(queries.contains("") && Set(queries).count < queries.count)
        let fast = Diversity.selfBLEU(queries, threads: 2)
        let slow = Diversity.bruteForce(queries)
        #expect(fast.count == 300)
        #expect(abs(fast.mean - slow.mean) <= 1e-9)
        for i in queries.indices {
            #expect(abs(fast.neighbors[i].score - slow.neighbors[i].score) <= 1e-9, "query \(i): \(queries[i])")
            #expect(fast.neighbors[i].index == slow.neighbors[i].index, "query \(i): \(queries[i])")
        }
        #expect(fast.mean > 0 && fast.mean < 100)
    }

    @Test func resultDoesNotDependOnThreadCount() {
        let queries = generatedQueries(250, seed: 11)
        let one = Diversity.selfBLEU(queries, threads: 1)
        let two = Diversity.selfBLEU(queries, threads: 2)
        #expect(one == two)
    }

    @Test func duplicatesScoreHundredAndEdgeCases() {
        let report = Diversity.selfBLEU(["the cat sat on the mat", "", "the cat sat on the mat", "zebra"])
        #expect(abs(report.neighbors[0].score - 100) < 1e-9 && report.neighbors[0].index == 2)
        #expect(report.neighbors[2].index == 0)
        #expect(report.neighbors[1] == BLEUNeighbor(index: 0, score: 0))
        #expect(report.neighbors[3] == BLEUNeighbor(index: 0, score: 0))
        #expect(Diversity.selfBLEU(["alone"]).neighbors == [BLEUNeighbor(index: nil, score: 0)])
        #expect(Diversity.selfBLEU([]).mean == 0)
    }

    @Test func progressReachesTheTotal() {
        let queries = generatedQueries(100, seed: 3)
        final class Last: @unchecked Sendable { var value = 0 }
        let last = Last()
        _ = Diversity.selfBLEU(queries, threads: 2) { done, total in
            #expect(total == 100)
            last.value = max(last.value, done)
        }
        #expect(last.value == 100)
    }
}

@Suite struct LeakageTests {
    @Test func leakageFilterEqualsBruteForce() {
        let training = generatedQueries(200, seed: 21)
        var evaluation = generatedQueries(120, seed: 22)
        evaluation.append(training[5] + " please")
        evaluation.append("an entirely unseen zyzzyva prompt")
        let fast = Leakage.filter(evaluation: evaluation, training: training)
        let slow = Leakage.bruteForce(evaluation: evaluation, training: training)
        #expect(fast.kept == slow.kept)
        #expect(fast.dropped.map(\.evalIndex) == slow.dropped.map(\.evalIndex))
        #expect(fast.dropped.map(\.trainIndex) == slow.dropped.map(\.trainIndex))
        for (a, b) in zip(fast.neighbors, slow.neighbors) {
            #expect(a.index == b.index && abs(a.score - b.score) <= 1e-9)
        }
        #expect(fast.dropped.contains { $0.evalIndex == 120 })
        #expect(fast.kept.contains(121))
        #expect(!fast.dropped.isEmpty && !fast.kept.isEmpty)
        #expect(fast.dropped.allSatisfy { $0.score > 20 })
    }

    @Test func thresholdIsStrict() {
        let training = ["the quick brown fox jumps over the lazy dog"]
        let prompt = "the quick brown fox"
        let score = BLEU.sentence(prompt, training).score
        #expect(Leakage.filter(evaluation: [prompt], training: training, threshold: score).kept == [0])
        #expect(Leakage.filter(evaluation: [prompt], training: training, threshold: score - 1e-6).dropped.count == 1)
        #expect(Leakage.filter(evaluation: [prompt], training: []).kept == [0])
    }
}
