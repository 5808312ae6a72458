// Self-instruct: near-duplicate rejection, numbered-list parsing and the answering stage (ROUGE-L and its index are
// tested in MimicMetricsTests' RougeLTests).
import Foundation
import MimicCore
import MimicTeacher
import Testing
@testable import MimicData
import MimicMetrics

@Suite struct SelfInstructTests {
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
