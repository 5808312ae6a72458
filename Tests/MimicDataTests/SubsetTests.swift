// Seeded token-budget subsets, train/held-out splits and weighted mixing.
import Foundation
import MimicCore
import MimicTeacher
import MimicData
import MimicTokenizers
import Testing

@Suite struct SubsetTests {
    /// `n` conversations of 1 to 20 words each, named by source "p#i".
    static func pool(_ n: Int, prefix: String = "p", seed: UInt64 = 5) -> [ConversationRecord] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { i in
            let words = (0..<(1 + rng.below(20))).map { _ in "w" }.joined(separator: " ")
            return ConversationRecord(messages: [ChatMessage(role: "user", content: words)], meta: RecordMeta(source: "\(prefix)#\(i)"))
        }
    }

    func bytes(_ records: [ConversationRecord]) throws -> Data {
        try records.reduce(into: Data()) { $0.append(try ConversationJSONL.encodeLine($1)) }
    }

    @Test func budgetSubsetsAreSeededNestedAndWithinBudget() throws {
        let records = Self.pool(300)
        let (a, reportA) = try Subsets.byTokens(records, budget: 500, seed: 11)
        let (b, _) = try Subsets.byTokens(records, budget: 500, seed: 11)
        let (c, _) = try Subsets.byTokens(records, budget: 500, seed: 12)
        #expect(try bytes(a) == bytes(b))
        #expect(try bytes(a) != bytes(c))
        let counted = a.reduce(0) { $0 + TokenCounter.words.tokens(of: $1) }
        #expect(counted == reportA.tokens && reportA.tokens <= 500 && reportA.tokens > 480)
        #expect(reportA.taken == a.count && !reportA.exhausted)
        let (bigger, _) = try Subsets.byTokens(records, budget: 1500, seed: 11)
        #expect(Set(a.map { $0.meta.source }).isSubset(of: Set(bigger.map { $0.meta.source })))
        // Input order is kept.
        let indices = a.compactMap { $0.meta.source.flatMap { Int($0.dropFirst(2)) } }
        #expect(indices == indices.sorted())
        let (all, reportAll) = try Subsets.byTokens(records, budget: 1_000_000, seed: 11)
        #expect(all.count == 300 && reportAll.exhausted)
        #expect(throws: SubsetError.self) { _ = try Subsets.byTokens(records, budget: -1, seed: 1) }
    }

    @Test func splitsAreSeededAndPartitionTheInput() throws {
        let records = Self.pool(101)
        let (train, held) = try Subsets.split(records, heldOut: .fraction(0.2), seed: 3)
        #expect(held.count == 20 && train.count == 81)
        let names = Set(train.map { $0.meta.source }).union(held.map { $0.meta.source })
        #expect(names.count == 101)
        let (train2, held2) = try Subsets.split(records, heldOut: .fraction(0.2), seed: 3)
        #expect(try bytes(train) == bytes(train2) && bytes(held) == bytes(held2))
        let (_, counted) = try Subsets.split(records, heldOut: .count(7), seed: 3)
        #expect(counted.count == 7)
        #expect(throws: SubsetError.self) { _ = try Subsets.split(records, heldOut: .fraction(1.5), seed: 3) }
    }

    @Test func mixingGivesEachSourceItsShare() throws {
        let a = MixSource(name: "a.jsonl", records: Self.pool(400, prefix: "a", seed: 1), weight: 0.7)
        let b = MixSource(name: "b.jsonl", records: Self.pool(400, prefix: "b", seed: 2), weight: 0.3)
        let (mixed, report) = try Subsets.mix([a, b], budget: 2000, seed: 9)
        #expect(report.sources.map(\.share) == [1400, 600])
        for (source, share) in zip(report.sources, [1400, 600]) {
            #expect(source.subset.tokens <= share && source.subset.tokens > share - 20)
        }
        let fromA = mixed.filter { $0.meta.extra["mix_source"] == .string("a.jsonl") }
        let tokensA = fromA.reduce(0) { $0 + TokenCounter.words.tokens(of: $1) }
        #expect(tokensA == report.sources[0].subset.tokens)
        #expect(mixed.count == report.sources[0].subset.taken + report.sources[1].subset.taken)
        let (again, _) = try Subsets.mix([a, b], budget: 2000, seed: 9)
        #expect(try bytes(mixed) == bytes(again))
    }

    @Test func aSourceThatRunsOutGivesAllItHas() throws {
        let small = MixSource(name: "small", records: Self.pool(5, prefix: "s"), weight: 1)
        let large = MixSource(name: "large", records: Self.pool(400, prefix: "l"), weight: 1)
        let (_, report) = try Subsets.mix([small, large], budget: 1000, seed: 1)
        #expect(report.sources[0].subset.exhausted && report.sources[0].subset.taken == 5)
        #expect(report.sources[1].share == 500 && report.sources[1].subset.tokens <= 500)
        #expect(report.tokens < 1000)
        #expect(throws: SubsetError.self) { _ = try Subsets.mix([MixSource(name: "z", records: [], weight: 0)], budget: 10, seed: 1) }
    }
}
