// Self-instruct: ROUGE-L against hand-computed values, the bit-parallel LCS against the plain one, near-duplicate
// rejection, numbered-list parsing and the answering stage.
import Foundation
import MimicTeacher
import Testing
@testable import MimicData
import MimicMetrics

@Suite struct SelfInstructTests {
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

    @Test func parsesNumberedLists() {
        let text = """
            Explain tides to a child.
            10. Write a haiku about
            autumn leaves.
            11) Sort these numbers: 3, 1, 2
            12.
            """
        #expect(SelfInstruct.parse(text) == ["Explain tides to a child.", "Write a haiku about autumn leaves.", "Sort these numbers: 3, 1, 2"])
    }

    @Test func rejectsNearDuplicatesThenAnswersInOrder() async throws {
        let seeds = ["Write a poem about the sea at night.", "List three facts about the planet Mars.", "Explain how a bicycle gear works."]
        // Near-duplicate of seed 0: "Write a short poem about the sea at night." has F = 2·8/(8+9) ≈ 0.94 > 0.7.
        // Kept: "Write a poem about a city at dawn." against seed 0: LCS = write a poem about at = 5, F = 2·5/(8+8) = 0.625.
        let teacher = MemoryTeacher { request, _ in
            if request.messages.count == 1 && request.lastUser.contains("Continue the numbered list") {
                return """
                    Write a short poem about the sea at night.
                    5. Write a poem about a city at dawn.
                    6. List three facts about the planet Mars.
                    7. Hi
                    8. Describe the water cycle in four steps.
                    9. Describe the water cycle in four simple steps.
                    """
            }
            if request.lastUser.contains("water") { throw FakeFailure(reason: "content filter") }
            return "Answer: " + request.lastUser
        }
        let options = SelfInstructOptions(count: 3, inContextTasks: 3, generatedInContext: 1, seed: 9, maxRequests: 1)
        let generator = SelfInstructGenerator(teacher: teacher, options: options)
        let result = try await generator.run(seeds: seeds)
        #expect(result.report.similarDropped == 2)  // the sea poem (0.94) and "four simple steps" (against "four steps")
        #expect(result.report.duplicatesDropped == 1 && result.report.malformedDropped == 1)
        #expect(abs(RougeL.f(seeds[0], "Write a short poem about the sea at night.") - 16.0 / 17.0) < 1e-12)
        #expect(abs(RougeL.f(seeds[0], "Write a poem about a city at dawn.") - 0.625) < 1e-12)
        #expect(abs(RougeL.f("Describe the water cycle in four steps.", "Describe the water cycle in four simple steps.") - 14.0 / 15.0) < 1e-12)
        #expect(result.records.map { $0.messages[0].content } == ["Write a poem about a city at dawn."])
        #expect(result.records[0].messages[1].content == "Answer: Write a poem about a city at dawn.")
        #expect(result.report.failed == 1 && result.report.failureReasons == ["content filter": 1])
        #expect(result.report.requested == 3 && result.report.notes.count == 1)  // 1 generation + 2 answers; 2 of 3 instructions
        #expect(result.records[0].meta.generator == "self-instruct" && result.records[0].meta.extra["instruction_request_index"] == .int(0))
        let generation = try #require(teacher.sent.first?.0.lastUser)
        #expect(generation.hasSuffix("\n4.") && generation.contains("\n1. ") && generation.contains("\n3. "))
    }

    @Test func sameSeedSameOutputDifferentSeedDifferentPrompts() async throws {
        func run(_ seed: UInt64, inFlight: Int) async throws -> ([ConversationRecord], [String]) {
            let teacher = MemoryTeacher { request, sampleIndex in
                let prompt = request.lastUser
                guard prompt.contains("Continue the numbered list") else { return "answer \(prompt.count)" }
                // New instructions derived from the prompt's first listed task, so they depend on what was drawn.
                let first = prompt.components(separatedBy: "\n1. ").dropFirst().first?.prefix(30) ?? ""
                return (0..<3).map { "\($0 + 9). Variation \($0) \(sampleIndex) on topic \(first) with detail \(prompt.count % 97)" }
                    .joined(separator: "\n")
            }
            let options = SelfInstructOptions(count: 9, similarityThreshold: 0.99, seed: seed, maxRequests: 12)
            let result = try await SelfInstructGenerator(teacher: teacher, options: options, settings: CollectionSettings(maxInFlight: inFlight))
                .run(seeds: SelfInstruct.defaultSeeds)
            return (result.records, teacher.sent.map(\.0.lastUser).filter { $0.contains("Continue the numbered list") }.sorted())
        }
        let a = try await run(5, inFlight: 8), b = try await run(5, inFlight: 1), c = try await run(6, inFlight: 8)
        #expect(a.0.count == 9 && a.1.count >= 3 && a.0 == b.0 && a.1 == b.1)
        #expect(a.1.contains { $0.contains("Variation") })  // later rounds show generated instructions
        #expect(a.1 != c.1)
    }

    @Test func defaultSeedsAndTheirFile() throws {
        #expect(SelfInstruct.defaultSeeds.count >= 20)
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../data/seeds/self-instruct-seeds.txt").standardizedFileURL
        #expect(try SelfInstruct.loadSeeds(file) == SelfInstruct.defaultSeeds)
        // No two seeds are near-duplicates of each other.
        var index = RougeLIndex()
        for seed in SelfInstruct.defaultSeeds {
            #expect(index.maxScore(seed) <= 0.7, "\(seed)")
            index.add(seed)
        }
    }
}
