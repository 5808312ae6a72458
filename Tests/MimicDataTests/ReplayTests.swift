// Replay: first turn versus turn by turn (the teacher sees its own answers), repeated prompts, failures,
// progress, and a cancelled run that leaves whole records and is finished by the next run.
import Foundation
import MimicCore
import MimicTeacher
import MimicTestSupport
import MimicTokenizers
import Testing
@testable import MimicData

@Suite struct ReplayTests {
    static func conversation(_ id: String, _ turns: [String], system: String? = nil) -> PromptConversation {
        var messages = system.map { [ChatMessage(role: "system", content: $0)] } ?? []
        for turn in turns {
            messages.append(ChatMessage(role: "user", content: turn))
            messages.append(ChatMessage(role: "assistant", content: "the file's answer to \(turn)"))
        }
        return PromptConversation(id: id, source: "sg.json#\(id)", messages: messages)
    }

    /// Answers with the last user turn and how many messages it was sent.
    static func echo() -> MemoryTeacher {
        MemoryTeacher { request, sampleIndex in "re: \(request.lastUser) (\(request.messages.count) msgs, sample \(sampleIndex))" }
    }

    @Test func firstTurnOnly() async throws {
        let teacher = Self.echo()
        let prompts = [Self.conversation("a", ["hello", "more"], system: "be kind"), Self.conversation("b", ["solo"])]
        let result = try await ReplayGenerator(teacher: teacher, options: ReplayOptions(temperature: 0.3, seed: 4)).run(prompts)
        #expect(result.records.map(\.messages) == [
            [ChatMessage(role: "system", content: "be kind"), ChatMessage(role: "user", content: "hello"),
             ChatMessage(role: "assistant", content: "re: hello (2 msgs, sample 0)")],
            [ChatMessage(role: "user", content: "solo"), ChatMessage(role: "assistant", content: "re: solo (1 msgs, sample 0)")],
        ])
        #expect(teacher.calls == 2 && result.report.requested == 2)
        let meta = result.records[0].meta
        #expect(meta.generator == "replay" && meta.template == "replay/first-turn" && meta.temperature == 0.3 && meta.seed == 4)
        #expect(meta.source == "sg.json#a" && meta.teacher == "fake-teacher" && meta.extra["prompt_id"] == .string("a"))
        #expect(meta.requestHash == RequestKey.chat(endpoint: "memory", request: teacher.sent[0].0, sampleIndex: 0)
            || meta.requestHash == RequestKey.chat(endpoint: "memory", request: teacher.sent[1].0, sampleIndex: 0))
    }

    @Test func turnByTurnSendsTheTeachersOwnAnswersAsHistory() async throws {
        let teacher = Self.echo()
        let prompts = [Self.conversation("a", ["one", "two", "three"])]
        let result = try await ReplayGenerator(teacher: teacher, options: ReplayOptions(mode: .turnByTurn)).run(prompts)
        let record = try #require(result.records.first)
        #expect(record.messages.map(\.content) == ["one", "re: one (1 msgs, sample 0)", "two", "re: two (3 msgs, sample 0)",
                                                    "three", "re: three (5 msgs, sample 0)"])
        let third = teacher.sent[2].0.messages.map(\.content)
        #expect(third == ["one", "re: one (1 msgs, sample 0)", "two", "re: two (3 msgs, sample 0)", "three"])
        #expect(!third.contains { $0.hasPrefix("the file's answer") })
        #expect(record.meta.extra["request_hashes"] == .array(teacher.sent.map {
            .string(RequestKey.chat(endpoint: "memory", request: $0.0, sampleIndex: $0.1)) }))
        #expect(record.meta.template == "replay/turn-by-turn" && result.report.requested == 3)
    }

    @Test func repeatedPromptsGetDistinctSamples() async throws {
        let teacher = Self.echo()
        let prompts = [Self.conversation("a", ["same"]), Self.conversation("b", ["other"]), Self.conversation("c", ["same"])]
        let result = try await ReplayGenerator(teacher: teacher).run(prompts)
        #expect(result.records.map(\.meta.sampleIndex) == [0, 0, 1])
        #expect(result.records[0].meta.requestHash != result.records[2].meta.requestHash)
        #expect(result.records[2].messages[1].content == "re: same (1 msgs, sample 1)")
    }

    @Test func failuresAreCountedNotWritten() async throws {
        let teacher = MemoryTeacher { request, _ in
            if request.lastUser.hasPrefix("bad") { throw FakeFailure(reason: "HTTP 400: context too long") }
            return "ok"
        }
        let prompts = [Self.conversation("a", ["good 1"]), Self.conversation("b", ["bad"]), Self.conversation("c", ["good 2", "bad 2"]),
                       Self.conversation("d", ["good 3"]), PromptConversation(id: "e", source: "x", messages: [ChatMessage(role: "user", content: " ")])]
        let result = try await ReplayGenerator(teacher: teacher, options: ReplayOptions(mode: .turnByTurn)).run(prompts)
        #expect(result.records.map { $0.meta.extra["prompt_id"] } == [.string("a"), .string("d")])
        #expect(result.report.failed == 2 && result.report.failureReasons == ["HTTP 400: context too long": 2])
        #expect(result.report.requested == 5 && result.report.skipped == 1 && result.report.records == 2)
    }

    @Test func progressReachesTheTotal() async throws {
        final class Box: @unchecked Sendable { var last: CollectionProgress?; let lock = NSLock() }
        let box = Box()
        let settings = CollectionSettings(maxInFlight: 3, progress: { p in box.lock.lock(); box.last = p; box.lock.unlock() })
        let prompts = (0..<10).map { Self.conversation("\($0)", ["q\($0)", "r\($0)"]) }
        let teacher = Self.echo()
        _ = try await ReplayGenerator(teacher: teacher, options: ReplayOptions(mode: .turnByTurn), settings: settings).run(prompts)
        let second = try await ReplayGenerator(teacher: teacher, options: ReplayOptions(mode: .turnByTurn), settings: settings).run(prompts)
        #expect(box.last == CollectionProgress(stage: "replay", done: 20, total: 20, cached: 20, failed: 0))
        #expect(second.report.cached == 20 && teacher.sent.count == 20)
    }

    @Test func cancelledRunLeavesWholeRecordsAndTheNextRunFinishes() async throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let output = folder.appendingPathComponent("out.jsonl")
        let prompts = (0..<40).map { Self.conversation("\($0)", ["prompt \($0)"]) }
        let teacher = MemoryTeacher { request, _ in
            if request.lastUser != "prompt 0" && request.lastUser.hasSuffix("7") {
                try await Task.sleep(nanoseconds: 30_000_000_000)  // hangs until cancelled
            }
            return "answer to \(request.lastUser)"
        }
        let settings = CollectionSettings(maxInFlight: 4, output: output, checkpointSeconds: 0)
        let generator = ReplayGenerator(teacher: teacher, settings: settings)
        let task = Task { try await generator.run(prompts) }
        while teacher.sent.count < 12 { try await Task.sleep(nanoseconds: 5_000_000) }
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        // Whatever is there is whole records, in input order, each prompt once.
        if FileManager.default.fileExists(atPath: output.path) {
            let (records, report) = try ConversationJSONL.read(output, policy: .fail)
            let ids = records.compactMap { $0.meta.extra["prompt_id"]?.stringValue }.compactMap(Int.init)
            #expect(report.malformed == 0 && ids == ids.sorted() && Set(ids).count == ids.count && ids.count < 40)
            #expect(records.allSatisfy { $0.messages.count == 2 })
        }
        let sentBefore = teacher.sent.count
        let hung = teacher.sent.filter { $0.0.lastUser != "prompt 0" && $0.0.lastUser.hasSuffix("7") }.count
        teacher.respond = { request, _ in "answer to \(request.lastUser)" }
        let result = try await generator.run(prompts)
        let (records, _) = try ConversationJSONL.read(output)
        #expect(records == result.records && records.count == 40)
        #expect(records.map { $0.meta.extra["prompt_id"] } == (0..<40).map { .string("\($0)") })
        // Only what was missing went out again: the finished answers came from the cache.
        #expect(hung >= 1 && result.report.cached == sentBefore - hung)
        #expect(teacher.sent.count - sentBefore == 40 - result.report.cached)
        // A later run stopped early does not replace the complete output with a shorter one.
        let more = prompts + (40..<80).map { Self.conversation("\($0)", ["prompt \($0)"]) }
        teacher.respond = { request, _ in
            if request.lastUser == "prompt 50" { try await Task.sleep(nanoseconds: 30_000_000_000) }
            return "answer to \(request.lastUser)"
        }
        let third = Task { try await ReplayGenerator(teacher: teacher, settings: CollectionSettings(maxInFlight: 1, output: output, checkpointSeconds: 0)).run(more) }
        while !teacher.sent.contains(where: { $0.0.lastUser == "prompt 50" }) { try await Task.sleep(nanoseconds: 5_000_000) }
        third.cancel()
        await #expect(throws: CancellationError.self) { _ = try await third.value }
        let (after, _) = try ConversationJSONL.read(output)
        #expect(after.count == 50 && Array(after.prefix(40)) == records)
        // A run with new settings (nothing cached) stopped after 10 records leaves those 50 in place.
        teacher.respond = { request, _ in
            if request.lastUser == "prompt 10" { try await Task.sleep(nanoseconds: 30_000_000_000) }
            return "warmer answer to \(request.lastUser)"
        }
        let fourth = Task {
            try await ReplayGenerator(teacher: teacher, options: ReplayOptions(temperature: 0.9),
                                      settings: CollectionSettings(maxInFlight: 1, output: output, checkpointSeconds: 0)).run(more)
        }
        while !teacher.sent.contains(where: { $0.0.lastUser == "prompt 10" && $0.0.temperature == 0.9 }) {
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        fourth.cancel()
        await #expect(throws: CancellationError.self) { _ = try await fourth.value }
        #expect(try ConversationJSONL.read(output).0 == after)
    }
}
