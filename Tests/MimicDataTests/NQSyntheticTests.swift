// NQ-synthetic: Q/A parsing, malformed and duplicate pairs dropped, stopping at N, determinism from the seed.
import Foundation
import MimicCore
import MimicTeacher
import MimicTestSupport
import MimicTokenizers
import Testing
@testable import MimicData

@Suite struct NQSyntheticTests {
    @Test func parsesLinesInlineAndNumberedPairs() {
        let text = """
            Sure! Here are some more:
            Q: who wrote the iliad
            A: Homer
            1. Q: when was the eiffel tower
            finished
            A: 1889
            Q: a question with no answer
            Q: what is 2+2 A: 4 Q: capital of peru A: Lima
            A: an answer with no question
            Q:
            A: empty question
            - Q: largest planet
            A: Jupiter
            I hope these help!
            """
        let (pairs, malformed) = NQSynthetic.parse(text)
        #expect(pairs == [QAPair(question: "who wrote the iliad", answer: "Homer"),
                          QAPair(question: "when was the eiffel tower finished", answer: "1889"),
                          QAPair(question: "what is 2+2", answer: "4"),
                          QAPair(question: "capital of peru", answer: "Lima"),
                          QAPair(question: "largest planet", answer: "Jupiter")])
        #expect(malformed == 3)  // Q with no A, A with no Q, empty question
    }

    @Test func defaultSeedsAreEnoughAndMatchTheDataFile() throws {
        let seeds = NQSynthetic.defaultSeeds
        #expect(seeds.count >= 40)
        #expect(NQSynthetic.parse(DefaultSeeds.nqText).malformed == 0)
        #expect(Set(seeds.map(\.key)).count == seeds.count)
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../data/seeds/nq-seeds.txt").standardizedFileURL
        #expect(try NQSynthetic.loadSeeds(file) == seeds)
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text == DefaultSeeds.nqText + "\n")
    }

    /// A teacher that answers request k with pairs derived from its prompt's first seed question, plus one
    /// malformed line and, every other request, a repeat of a pair it already gave and of a seed pair.
    static func teacher() -> MemoryTeacher {
        MemoryTeacher { request, sampleIndex in
            let prompt = request.lastUser
            let firstQuestion = prompt.components(separatedBy: "Q: ").dropFirst().first?.components(separatedBy: "\n").first ?? "?"
            let tag = "\(firstQuestion)#\(sampleIndex)"
            return """
                Q: new question one about \(tag)
                A: answer one
                Q: new question two about \(tag)
                A: answer two
                Q: dangling question
                Q: new question one about \(tag)
                A: answer one
                Q: who wrote the novel pride and prejudice
                A: Jane Austen
                """
        }
    }

    @Test func stopsAtNUniqueDroppingMalformedAndDuplicates() async throws {
        let teacher = Self.teacher()
        let options = NQSyntheticOptions(count: 7, seed: 3)
        let result = try await NQSyntheticGenerator(teacher: teacher, options: options).run(seeds: NQSynthetic.defaultSeeds)
        #expect(result.records.count == 7)
        #expect(Set(result.records.map { $0.messages[0].content + "|" + $0.messages[1].content }).count == 7)
        let requests = result.report.requested
        #expect(requests == teacher.calls && requests >= 4)
        // Each answer: 2 new pairs, 1 malformed (dangling Q), 1 repeat, 1 seed copy.
        #expect(result.report.malformedDropped == requests)
        #expect(result.report.duplicatesDropped >= 2 * (requests - 1))
        for record in result.records {
            #expect(record.messages.map(\.role) == ["user", "assistant"])
            #expect(record.messages[0].content.hasPrefix("new question"))
            #expect(record.meta.generator == "nq-synthetic" && record.meta.temperature == 1.0 && record.meta.seed == 3)
            #expect(record.meta.teacher == "fake-teacher" && record.meta.requestHash?.count == 64)
        }
        // Every request shows 5 seed pairs at temperature 1.0.
        for (request, _) in teacher.sent {
            #expect(request.temperature == 1.0)
            #expect(request.lastUser.components(separatedBy: "\nA: ").count - 1 == 5)
        }
    }

    @Test func sameSeedSameBytesDifferentSeedDifferentRequests() async throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        var outputs: [Data] = []
        var prompts: [[String]] = []
        for (run, seed) in [(0, UInt64(11)), (1, 11), (2, 12)] {
            let teacher = Self.teacher()  // a fresh teacher each time: nothing cached
            let url = folder.appendingPathComponent("run\(run).jsonl")
            let settings = CollectionSettings(maxInFlight: run == 1 ? 1 : 8, output: url)
            _ = try await NQSyntheticGenerator(teacher: teacher, options: NQSyntheticOptions(count: 9, seed: seed), settings: settings)
                .run(seeds: NQSynthetic.defaultSeeds)
            outputs.append(try Data(contentsOf: url))
            prompts.append(teacher.sent.map(\.0.lastUser).sorted())
        }
        #expect(outputs[0] == outputs[1])  // parallelism does not change the bytes
        #expect(prompts[0] == prompts[1])
        #expect(prompts[0] != prompts[2] && outputs[0] != outputs[2])
        let generator = NQSyntheticGenerator(teacher: Self.teacher(), options: NQSyntheticOptions(count: 1, seed: 11))
        #expect(generator.request(5, seeds: NQSynthetic.defaultSeeds) == generator.request(5, seeds: NQSynthetic.defaultSeeds))
        #expect(generator.request(5, seeds: NQSynthetic.defaultSeeds) != generator.request(6, seeds: NQSynthetic.defaultSeeds))
    }

    @Test func rerunSendsNothingNewAndGivesTheSameOutput() async throws {
        let teacher = Self.teacher()
        let generator = NQSyntheticGenerator(teacher: teacher, options: NQSyntheticOptions(count: 6, seed: 1))
        let first = try await generator.run(seeds: NQSynthetic.defaultSeeds)
        let sent = teacher.sent.count
        let second = try await generator.run(seeds: NQSynthetic.defaultSeeds)
        #expect(teacher.sent.count == sent)
        #expect(second.records == first.records && second.report.cached == second.report.requested)
    }

    @Test func failuresAreCountedAndTheRequestCapHolds() async throws {
        let teacher = MemoryTeacher { _, _ in throw FakeFailure(reason: "HTTP 500") }
        let options = NQSyntheticOptions(count: 5, maxRequests: 6)
        let result = try await NQSyntheticGenerator(teacher: teacher, options: options).run(seeds: NQSynthetic.defaultSeeds)
        #expect(result.records.isEmpty)
        #expect(result.report.failed == 6 && result.report.failureReasons == ["HTTP 500": 6])
        #expect(result.report.notes.count == 1)
        await #expect(throws: GeneratorError.self) {
            try await NQSyntheticGenerator(teacher: teacher, options: options).run(seeds: Array(NQSynthetic.defaultSeeds.prefix(4)))
        }
    }

    @Test func splitMixIsTheReferenceSequenceAndSamplesAreDistinct() {
        var rng = SplitMix64(seed: 0)  // the reference C implementation's first outputs for seed 0
        #expect([rng.next(), rng.next(), rng.next()] == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
        for stream in 0..<50 {
            var r = SplitMix64(seed: 9, stream: UInt64(stream))
            let picks = r.sampleIndices(12, count: 5)
            #expect(picks.count == 5 && Set(picks).count == 5 && picks.allSatisfy { (0..<12).contains($0) })
        }
        var r = SplitMix64(seed: 1)
        #expect(Set(r.sampleIndices(4, count: 9)) == [0, 1, 2, 3])
    }

    @Test func numberedPlaceholdersFillThePapersForm() {
        let pairs = [QAPair(question: "q1", answer: "a1"), QAPair(question: "q2", answer: "a2")]
        let text = NQSynthetic.render(pairs, template: "Q: {question_1} A: {answer_1} Q: {question_2} A: {answer_2} {other}")
        #expect(text == "Q: q1 A: a1 Q: q2 A: a2 {other}")
        #expect(NQSynthetic.render(pairs, template: "x\n{examples}") == "x\nQ: q1\nA: a1\nQ: q2\nA: a2")
    }
}
