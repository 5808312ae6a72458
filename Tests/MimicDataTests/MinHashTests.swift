// MinHash/LSH near-duplicate removal against exact Jaccard computed independently on a seeded sample.
import Foundation
import MimicCore
import MimicTeacher
import MimicData
import Testing

@Suite struct MinHashTests {
    static let vocabulary = (0..<400).map { "w\($0)x" }

    /// `count` random documents of 30-60 words, seeded.
    static func documents(_ count: Int, seed: UInt64) -> [[String]] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in (0..<(30 + rng.below(31))).map { _ in vocabulary[rng.below(vocabulary.count)] } }
    }

    /// `words` with `changes` words replaced by fresh ones (at seeded positions).
    static func perturbed(_ words: [String], changes: Int, rng: inout SplitMix64) -> [String] {
        var out = words
        for c in 0..<changes { out[rng.below(out.count)] = "new\(c)y\(rng.below(1000))" }
        return out
    }

    /// Exact Jaccard of 5-character shingle sets (as strings), written independently of the library.
    static func exactJaccard(_ a: String, _ b: String) -> Double {
        func shingles(_ s: String) -> Set<String> {
            let chars = Array(s.lowercased().unicodeScalars)
            guard chars.count >= 5 else { return [String(String.UnicodeScalarView(chars))] }
            return Set((0...(chars.count - 5)).map { String(String.UnicodeScalarView(chars[$0..<($0 + 5)])) })
        }
        let x = shingles(a), y = shingles(b)
        return Double(x.intersection(y).count) / Double(x.union(y).count)
    }

    /// Connected components (smallest index as label) of the graph of pairs at or above `threshold`.
    static func bruteForceClusters(_ texts: [String], threshold: Double) -> [Int] {
        var label = Array(texts.indices)
        func find(_ x: Int) -> Int { label[x] == x ? x : find(label[x]) }
        for i in texts.indices {
            for j in (i + 1)..<texts.count where exactJaccard(texts[i], texts[j]) >= threshold {
                let (a, b) = (find(i), find(j))
                if a != b { label[max(a, b)] = min(a, b) }
            }
        }
        return texts.indices.map(find)
    }

    @Test func findsPlantedNearDuplicatesAndMatchesBruteForce() {
        var rng = SplitMix64(seed: 42)
        var docs = Self.documents(150, seed: 7).map { $0.joined(separator: " ") }
        var planted: [(Int, Int)] = []
        for original in 0..<40 {
            let words = docs[original].split(separator: " ").map(String.init)
            // 1 word changed: Jaccard about 0.9; 12 changed: about 0.4 (must stay apart).
            let changes = original < 25 ? 1 : 12
            docs.append(Self.perturbed(words, changes: changes, rng: &rng).joined(separator: " "))
            planted.append((original, docs.count - 1))
        }
        let threshold = 0.8
        let truth = Self.bruteForceClusters(docs, threshold: threshold)
        let found = NearDedup.clusters(docs, options: NearDedupOptions(threshold: threshold))
        #expect(found.representative == truth)
        let close = planted.prefix(25).filter { Self.exactJaccard(docs[$0.0], docs[$0.1]) >= threshold }
        let far = planted.suffix(15).filter { Self.exactJaccard(docs[$0.0], docs[$0.1]) < threshold }
        #expect(close.count == 25 && far.count == 15)  // the sample is what it claims to be
        for (a, b) in close { #expect(found.representative[b] == found.representative[a]) }
        for (a, b) in far { #expect(found.representative[b] != found.representative[a]) }
        for (removed, match) in found.matchedWith {
            #expect(abs(match.jaccard - Self.exactJaccard(docs[removed], docs[match.index])) < 0.02)
            #expect(match.jaccard >= threshold)
        }
    }

    @Test func runKeepsTheFirstOfEachClusterAndReports() {
        let base = "please summarise the main causes of the first world war in three short paragraphs for a student"
        let records = [
            conversation(base, source: "a"),
            conversation("How do plants make food from sunlight?", source: "b"),
            conversation(base.replacingOccurrences(of: "three", with: "four"), source: "c"),
            conversation(base + " today", source: "d"),
        ]
        let result = NearDedup.run(records, options: NearDedupOptions(threshold: 0.8))
        #expect(result.kept.map { $0.meta.source } == ["a", "b"])
        #expect(result.report.removed == ["near-duplicate": 2])
        #expect(result.report.examples["near-duplicate"]?.first?.hasPrefix("c ~ a (Jaccard 0.") == true)
        #expect(result.report.details["bands"] != nil)
    }

    @Test func signaturesEstimateJaccardAndDoNotDependOnThreads() {
        let docs = Self.documents(20, seed: 3).map { $0.joined(separator: " ") }
        let hasher = MinHasher(permutations: 256, seed: 9)
        for i in 0..<10 {
            let a = Shingles.hashes(docs[i], .characters(5)), b = Shingles.hashes(docs[i + 10], .characters(5))
            let estimate = MinHasher.estimatedJaccard(hasher.signature(a), hasher.signature(b))
            #expect(abs(estimate - Shingles.jaccard(a, b)) < 0.1)
            #expect(abs(Shingles.jaccard(a, b) - Self.exactJaccard(docs[i], docs[i + 10])) < 1e-12)
        }
        let one = NearDedup.clusters(docs + docs, options: NearDedupOptions(threads: 1))
        let two = NearDedup.clusters(docs + docs, options: NearDedupOptions(threads: 2))
        #expect(one.representative == two.representative)
        #expect(one.representative == Array(0..<20) + Array(0..<20))
    }

    @Test func bandingFollowsTheThreshold() {
        for threshold in [0.5, 0.7, 0.8, 0.9] {
            let p = LSHParameters.optimal(threshold: threshold, permutations: 128)
            #expect(p.bands * p.rows <= 128)
            #expect(p.candidateProbability(min(1, threshold + 0.1)) > 0.85)
            #expect(p.candidateProbability(threshold - 0.3) < 0.1)
        }
        // datasketch 2.0.0's _optimal_param(t, 128, 0.5, 0.5) gives these (scripts/minhash_bench.py's reference).
        let reference: [(Double, Int, Int)] = [(0.5, 25, 5), (0.7, 14, 9), (0.8, 9, 13), (0.9, 5, 25)]
        for (t, b, r) in reference { #expect(LSHParameters.optimal(threshold: t, permutations: 128) == LSHParameters(bands: b, rows: r)) }
        for threshold in [0.5, 0.7, 0.8, 0.9] {
            let recallFirst = LSHParameters.forRecall(threshold: threshold, permutations: 128)
            #expect(recallFirst.bands * recallFirst.rows <= 128 && recallFirst.candidateProbability(threshold) >= 0.99)
            // One band fewer (the next-cheaper choice with these rows) no longer reaches the recall.
            let fewer = LSHParameters(bands: recallFirst.bands - 1, rows: recallFirst.rows)
            #expect(fewer.bands == 0 || fewer.candidateProbability(threshold) < 0.99 || fewer.rows * (fewer.bands + 1) > 128)
        }
        #expect(LSHParameters.optimal(threshold: 0.9, permutations: 128).rows > LSHParameters.optimal(threshold: 0.5, permutations: 128).rows)
    }

    @Test func wordShinglesAndNames() {
        #expect(Shingling(name: "word3") == .words(3) && Shingling(name: "char5") == .characters(5) && Shingling(name: "x") == nil)
        #expect(Shingles.hashes("a b c d", .words(3)).count == 2)
        #expect(Shingles.hashes("a b", .words(3)).count == 1)
        #expect(Shingles.hashes("  ", .characters(5)).isEmpty)
    }
}
