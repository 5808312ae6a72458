// Tests of LanguageFilter: what it keeps and removes, the report's counts, ShareGPT input and malformed lines.
import Foundation
import MimicCore
import MimicData
import MimicTestSupport
import MimicTokenizers
import Testing

@Suite struct LanguageFilterTests {
    static func text(_ language: String) throws -> String {
        try #require(try LanguageIDTests.samples().first { $0.language == language }).text
    }

    static func record(_ user: String, answer: String = "Sure.", id: String) -> ConversationRecord {
        ConversationRecord(messages: [ChatMessage(role: "user", content: user), ChatMessage(role: "assistant", content: answer)],
                           meta: RecordMeta(source: id))
    }

    /// en, fr, de, en (with a French answer), unknown (code only), ja.
    static func records() throws -> [ConversationRecord] {
        [
            record(try text("en"), id: "a"),
            record(try text("fr"), id: "b"),
            record(try text("de"), id: "c"),
            record(try text("en"), answer: try text("fr"), id: "d"),
            record("```\nprint(1)\n```", id: "e"),
            record(try text("ja"), id: "f"),
        ]
    }

    @Test func keepsEnglishAndUnknownByDefault() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let input = folder.appendingPathComponent("in.jsonl"), output = folder.appendingPathComponent("out.jsonl")
        try ConversationJSONL.write(try Self.records(), to: input)
        let report = try LanguageFilter().run(input: input, output: output)
        let (kept, _) = try ConversationJSONL.read(output)
        #expect(kept.map(\.meta.source) == ["a", "d", "e"])
        #expect(report.seen == 6 && report.kept == 3 && report.removed == 3)
        #expect(report.detected == ["en": 2, "fr": 1, "de": 1, "ja": 1, "un": 1])
        #expect(report.removedByLanguage == ["fr": 1, "de": 1, "ja": 1])
        #expect(report.removedByReason == ["language fr not kept": 1, "language de not kept": 1, "language ja not kept": 1])
        #expect(report.examples.map(\.position).map { $0.hasSuffix(":2") || $0.hasSuffix(":3") || $0.hasSuffix(":6") } == [true, true, true])
        #expect(report.examples.first?.snippet.hasPrefix("La petite boulangerie") == true)
        #expect(report.input?.format == "conversation-jsonl")
        #expect(report.summary().contains("read 6, kept 3, removed 3"))
    }

    @Test func dropUnknownAndSeveralLanguages() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let input = folder.appendingPathComponent("in.jsonl"), output = folder.appendingPathComponent("out.jsonl")
        try ConversationJSONL.write(try Self.records(), to: input)
        let report = try LanguageFilter(keep: ["en", "fr"], keepUnknown: false).run(input: input, output: output)
        let (kept, _) = try ConversationJSONL.read(output)
        #expect(kept.map(\.meta.source) == ["a", "b", "d"])
        #expect(report.removedByReason["language unknown"] == 1)
        #expect(report.removed == 3)
    }

    @Test func scopeAllCountsTheAnswers() throws {
        let record = Self.record("Hi", answer: try Self.text("fr") + " " + (try Self.text("fr")), id: "x")
        #expect(LanguageFilter(scope: .user).decide(record).guess.code != "fr")
        #expect(LanguageFilter(scope: .all).decide(record).guess.code == "fr")
        #expect(LanguageFilter(scope: .all).decide(record).keep == false)
    }

    @Test func readsShareGPTAndReportsMalformedLines() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let share = folder.appendingPathComponent("sg.json"), output = folder.appendingPathComponent("out.jsonl")
        let items: [[String: Any]] = [
            ["id": "one", "conversations": [["from": "human", "value": try Self.text("en")], ["from": "gpt", "value": "Yes."]]],
            ["id": "two", "conversations": [["from": "human", "value": try Self.text("es")], ["from": "gpt", "value": "Sí."]]],
        ]
        try JSONSerialization.data(withJSONObject: items).write(to: share)
        let report = try LanguageFilter().run(input: share, output: output)
        #expect(report.input?.format == "sharegpt")
        #expect(report.kept == 1 && report.removedByLanguage == ["es": 1])
        #expect(try ConversationJSONL.read(output).0.first?.meta.source?.hasSuffix("#one") == true)

        let broken = folder.appendingPathComponent("broken.jsonl")
        var lines = try Self.records().prefix(2).map { String(decoding: try ConversationJSONL.encodeLine($0), as: UTF8.self) }
        lines.insert("{\"messages\": [oops", at: 1)
        try lines.joined(separator: "\n").write(to: broken, atomically: true, encoding: .utf8)
        let skipped = try LanguageFilter().run(input: broken, output: output)
        #expect(skipped.seen == 2)
        #expect(skipped.input?.malformed == 1)
        #expect(skipped.input?.problems.first?.contains("broken.jsonl:2") == true)
        #expect(throws: RecordFileError.self) { try LanguageFilter().run(input: broken, output: output, policy: .fail) }
    }
}
