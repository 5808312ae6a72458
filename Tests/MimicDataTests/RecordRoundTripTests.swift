// One conversation record through every curation step: unknown fields of records and messages (weight, name,
// tool_calls, …) and meta survive import → dedup → language → filter → subset → split → mix byte for byte.
import Foundation
import MimicCore
import MimicData
import MimicTokenizers
import Testing

@Suite("Conversation record round trip")
struct RecordRoundTripTests {
    static let lines = [
        #"{"id":"c1","messages":[{"role":"system","content":"You are a careful assistant.","name":"sys"},{"role":"user","content":"How do I keep bread fresh for a whole week?","name":"ann"},{"role":"assistant","content":"Wrap it in a cloth and keep it in a bread box.","weight":0},{"role":"user","content":"And in summer when it is warm?"},{"role":"assistant","content":"Freeze slices and toast them when needed.","weight":1,"tool_calls":[{"id":"t1","type":"function","function":{"name":"lookup","arguments":"{\"q\":\"bread\"}"}}]}],"meta":{"teacher":"gpt-x","seed":7,"custom":{"k":[1,2.5,null,true]}},"split_hint":"train"}"#,
        #"{"messages":[{"role":"user","content":"What is the best way to learn to play the piano as an adult?","lang":"en"},{"role":"assistant","content":"Practise a little every day and take a few lessons with a good teacher.","weight":1}],"labels":["music","hobby"]}"#,
        #"{"messages":[{"role":"user","content":"Why does the moon look bigger near the horizon in the evening?"},{"role":"assistant","content":"It is an illusion of the brain; the moon is the same size in the sky.","name":"bot","weight":0}],"meta":{"source":"orig.jsonl:3"},"score":0.75}"#,
        #"{"messages":[{"role":"user","content":"Which vegetables grow well in a small garden in the shade?"},{"role":"assistant","content":"Lettuce, spinach and kale do well with only a few hours of sun."}],"rating":{"helpful":4,"by":null}}"#,
    ]

    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mimic-roundtrip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Each record's line (sorted keys), without the `meta.mix_source` the mix adds.
    static func lines(_ records: [ConversationRecord]) throws -> Set<Data> {
        try Set(records.map { record in
            var record = record
            record.meta.extra["mix_source"] = nil
            return try ConversationJSONL.encodeLine(record)
        })
    }

    @Test("unknown record and message fields survive every mimic data step through the library")
    func everyStepKeepsUnknownFields() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        func file(_ name: String) -> URL { dir.appendingPathComponent(name) }
        try Data((Self.lines.joined(separator: "\n") + "\n").utf8).write(to: file("raw.jsonl"))

        let imported = try Importer.importFile(file("raw.jsonl"), format: .messages, to: file("imported.jsonl"))
        #expect(imported.records == 4)
        let (afterImport, _) = try ConversationJSONL.read(file("imported.jsonl"))
        // Import keeps every message field and top-level key of the input (it only adds provenance to meta).
        let input = try Self.lines.map { try JSONDecoder().decode(ConversationRecord.self, from: Data($0.utf8)) }
        #expect(afterImport.map(\.messages) == input.map(\.messages))
        #expect(afterImport.map(\.extra) == input.map(\.extra))
        #expect(afterImport[0].messages[2].weight == 0 && afterImport[0].messages[4].extra["tool_calls"] != nil)
        #expect(afterImport[0].meta.extra["custom"] == input[0].meta.extra["custom"] && afterImport[0].meta.teacher == "gpt-x")

        try ConversationJSONL.write(ExactDedup.run(afterImport).kept, to: file("dedup.jsonl"))
        let language = try LanguageFilter(keep: ["en"]).run(input: file("dedup.jsonl"), output: file("language.jsonl"))
        #expect(language.input?.records == 4)
        var records = try ConversationJSONL.read(file("language.jsonl")).0
        records = LengthFilter.run(records, minTokens: 1, maxTokens: 10_000, scope: .conversation, counter: .words).kept
        records = CodingPromptFilter.run(records).kept
        try ConversationJSONL.write(records, to: file("filtered.jsonl"))
        let (subset, _) = try Subsets.byTokens(try ConversationJSONL.read(file("filtered.jsonl")).0, budget: 100_000, seed: 1)
        try ConversationJSONL.write(subset, to: file("subset.jsonl"))
        let (train, held) = try Subsets.split(try ConversationJSONL.read(file("subset.jsonl")).0, heldOut: .count(1), seed: 2)
        try ConversationJSONL.write(train, to: file("train.jsonl"))
        try ConversationJSONL.write(held, to: file("held.jsonl"))
        let sources = [MixSource(name: "train", records: try ConversationJSONL.read(file("train.jsonl")).0, weight: 1),
                       MixSource(name: "held", records: try ConversationJSONL.read(file("held.jsonl")).0, weight: 1)]
        let (mixed, _) = try Subsets.mix(sources, budget: 100_000, seed: 3)
        try ConversationJSONL.write(mixed, to: file("mixed.jsonl"))

        let final = try ConversationJSONL.read(file("mixed.jsonl")).0
        #expect(final.count == 4)
        #expect(try Self.lines(final) == Self.lines(afterImport), "every record comes out of the chain as import wrote it")
        let importedBytes = try Data(contentsOf: file("imported.jsonl"))
        for line in try Self.lines(final) { #expect(importedBytes.range(of: line) != nil) }
    }

    @Test("a record line is written back byte for byte")
    func lineRoundTrip() throws {
        for line in Self.lines {
            let record = try JSONDecoder().decode(ConversationRecord.self, from: Data(line.utf8))
            let again = try JSONDecoder().decode(ConversationRecord.self, from: ConversationJSONL.encodeLine(record))
            #expect(again == record)
            #expect(try ConversationJSONL.encodeLine(again) == ConversationJSONL.encodeLine(record))
        }
    }
}
