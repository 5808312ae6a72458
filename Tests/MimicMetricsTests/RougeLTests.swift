// ROUGE-L as self-instruct uses it: against hand-computed values, the bit-parallel LCS against the plain one, and
// RougeLIndex against scoring every text of its pool.
import Foundation
import MimicMetrics
import MimicCore
import Testing

@Suite struct RougeLTests {
    @Test func rougeLMatchesHandComputedValues() {
        #expect(RougeL.tokens("Hello, World! It's 42x-ray… Ünïcode") == ["hello", "world", "it", "s", "42x", "ray", "n", "code"])
        // the cat sat on the mat / the cat lay on a mat: LCS = the cat on mat = 4, F = 2·4 / (6 + 6).
        #expect(abs(RougeL.f("the cat sat on the mat", "The cat lay on a mat.") - 8.0 / 12.0) < 1e-12)
        // LCS("a b c d e", "a c e") = 3: P = 3/3, R = 3/5, F = 2·1·0.6 / 1.6 = 0.75.
        #expect(abs(RougeL.f("a b c d e", "a c e") - 0.75) < 1e-12)
        #expect(RougeL.f("", "anything") == 0 && RougeL.f("x y", "z") == 0 && RougeL.f("Same text!", "same TEXT") == 1)
    }

    @Test func bitParallelLCSEqualsThePlainOne() {
        var rng = SplitMix64(seed: 42)
        for trial in 0..<300 {
            let m = rng.below(trial < 150 ? 20 : 200), n = rng.below(trial < 150 ? 20 : 200)
            let alphabet = 1 + rng.below(6)
            let a = (0..<m).map { _ in rng.below(alphabet) }, b = (0..<n).map { _ in rng.below(alphabet) }
            #expect(RougeL.lcs(a, b) == RougeL.lcsPlain(a, b), "trial \(trial): m \(m), n \(n)")
        }
        #expect(RougeL.lcsPlain([1, 2, 3, 4], [2, 4, 3]) == 2)
    }

    @Test func indexFindsTheClosestText() {
        var index = RougeLIndex()
        index.add("write a poem about the sea")
        index.add("list three facts about mars")
        #expect(abs(index.maxScore("Write a short poem about the sea.") - 2.0 * 6 / 13) < 1e-12)
        #expect(index.maxScore("completely unrelated words here") == 0)
    }

    @Test func indexAgreesWithScoringEveryText() {
        var rng = SplitMix64(seed: 8)
        let words = ["the", "a", "write", "poem", "list", "sea", "mars", "facts", "explain", "why", "how", "city", "dawn", "of"]
        func sentence() -> String { (0..<(1 + rng.below(12))).map { _ in words[rng.below(words.count)] }.joined(separator: " ") }
        var index = RougeLIndex()
        var pool: [String] = []
        for _ in 0..<150 {
            let text = sentence()
            pool.append(text)
            index.add(text)
        }
        for _ in 0..<100 {
            let query = sentence() + (rng.below(3) == 0 ? " unseen" : "")
            let brute = pool.map { RougeL.f($0, query) }.max() ?? 0
            #expect(abs(index.maxScore(query) - brute) < 1e-12, "\(query)")
            #expect((index.maxScore(query, stopAbove: 0.7) > 0.7) == (brute > 0.7))
        }
    }
}
