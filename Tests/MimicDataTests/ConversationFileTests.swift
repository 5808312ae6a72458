// Conversation JSONL: round trip with provenance, deterministic bytes, malformed lines named by line, atomic writes.
import Foundation
import MimicCore
import MimicTestSupport
import MimicTokenizers
import Testing
@testable import MimicData

@Suite struct ConversationFileTests {
    static let sample = ConversationRecord(
        messages: [ChatMessage(role: "user", content: "hi \"there\"\nnew line"), ChatMessage(role: "assistant", content: "hello/ü")],
        meta: RecordMeta(generator: "replay", teacher: "t", template: "replay/first-turn", temperature: 0.5, seed: 7,
                         source: "in.jsonl:3", requestHash: "abc", sampleIndex: 1, extra: ["prompt_id": .string("x"), "n": .int(2)]))

    @Test func roundTripKeepsMessagesAndProvenance() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let url = folder.appendingPathComponent("out.jsonl")
        let second = ConversationRecord(messages: [ChatMessage(role: "user", content: "q")])
        try ConversationJSONL.write([Self.sample, second], to: url)
        let (records, report) = try ConversationJSONL.read(url)
        #expect(records == [Self.sample, second])
        #expect(report.items == 2 && report.malformed == 0)
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 2)
        // Meta's values are strings (one layout for every file); a generator's own keys are a JSON object in details.
        #expect(text.contains("\"request_hash\":\"abc\"") && text.contains("\"sample_index\":\"1\"")
                && text.contains(#""details":"{\"n\":2,\"prompt_id\":\"x\"}""#), "\(text)")
        // No temporary file is left beside the output.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.jsonl"])
    }

    @Test func sameRecordGivesSameBytes() throws {
        var other = Self.sample
        other.meta.extra = ["n": .int(2), "prompt_id": .string("x")]  // same content, built in another order
        #expect(try ConversationJSONL.encodeLine(Self.sample) == ConversationJSONL.encodeLine(other))
        other.meta.seed = 8
        #expect(try ConversationJSONL.encodeLine(Self.sample) != ConversationJSONL.encodeLine(other))
    }

    @Test func malformedLineIsNamedByFileAndLine() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let good = String(decoding: try ConversationJSONL.encodeLine(Self.sample), as: UTF8.self)
        let url = try write("\(good)\n{not json\n\n{\"meta\":{}}\n\(good)\n", "bad.jsonl", in: folder)
        do {
            _ = try ConversationJSONL.read(url, policy: .fail)
            Issue.record("a malformed line must throw under .fail")
        } catch let error as RecordFileError {
            #expect(error == .malformedLine(file: url.path, line: 2, problem: "not valid JSON"))
            #expect(error.localizedDescription.contains("bad.jsonl:2"))
        }
        let (records, report) = try ConversationJSONL.read(url, policy: .skip)
        #expect(records.count == 2)
        #expect(report.malformed == 2 && report.lines == 5)
        #expect(report.problems.count == 2)
        #expect(report.problems[0].contains("bad.jsonl:2"))
        #expect(report.problems[1].contains("bad.jsonl:4") && report.problems[1].contains("messages"))
    }

    @Test func atomicWriteReplacesWholeFile() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let url = folder.appendingPathComponent("out.jsonl")
        try ConversationJSONL.write(Array(repeating: Self.sample, count: 5), to: url)
        try ConversationJSONL.write([Self.sample], to: url)
        #expect(try ConversationJSONL.read(url).0.count == 1)
        let stale = folder.appendingPathComponent(".out.jsonl.tmp-1234")
        try Data("half a rec".utf8).write(to: stale)
        AtomicFile.removeStaleTemporaries(for: url)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.jsonl"])
        let missing = folder.appendingPathComponent("no-such-folder/out.jsonl")
        #expect(throws: RecordFileError.self) { try ConversationJSONL.write([Self.sample], to: missing) }
    }
}
