// The files every generator and importer writes load together, in one call, with Hugging Face `datasets` (as a
// user combining broad and targeted data would): `meta` has the same keys and types whatever made the record, and
// a generator's own provenance travels in `meta.details`. Also the layout itself: strings, empty when unknown, and
// older files (numbers, keys beside `details`) still read. Needs $CACHE/venvs/clients (datasets comes with lm-eval).
import Foundation
import MimicCore
import MimicTeacher
import MimicTestSupport
import Testing
@testable import MimicData

@Suite struct RecordMetaLayoutTests {
    @Test func metaIsStringsWithDetailsAndOldLayoutsStillRead() throws {
        let meta = RecordMeta(generator: "replay", teacher: "gpt-x", temperature: 0.7, seed: 42, sampleIndex: 3,
                              extra: ["prompt_id": .string("p1"), "request_hashes": .array([.string("h1"), .string("h2")])])
        let record = ConversationRecord(messages: [ChatMessage(role: "user", content: "hi")], meta: meta)
        let line = String(decoding: try ConversationJSONL.encodeLine(record), as: UTF8.self)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let written = try #require(object["meta"] as? [String: Any])
        #expect(Set(written.keys) == ["generator", "teacher", "template", "temperature", "seed", "source", "request_hash",
                                      "sample_index", "details"])
        #expect(written.values.allSatisfy { $0 is String }, "\(written)")
        #expect(written["temperature"] as? String == "0.7" && written["template"] as? String == "")
        #expect(written["details"] as? String == #"{"prompt_id":"p1","request_hashes":["h1","h2"]}"#)
        #expect(try JSONDecoder().decode(ConversationRecord.self, from: Data(line.utf8)).meta == meta)
        // An older or hand-written file: numbers, and keys beside details.
        let old = #"{"messages": [{"role": "user", "content": "hi"}], "meta": {"seed": 7, "temperature": 1, "id": 12, "custom": {"k": [1, null]}}}"#
        let read = try JSONDecoder().decode(ConversationRecord.self, from: Data(old.utf8)).meta
        #expect(read.seed == 7 && read.temperature == 1 && read.extra["id"] == .int(12) && read.extra["custom"] != nil)
        let big = #"{"messages": [{"role": "user", "content": "hi"}], "meta": {"seed": 18446744073709551615}}"#
        #expect(try JSONDecoder().decode(ConversationRecord.self, from: Data(big.utf8)).meta.seed == UInt64.max)
        let bad = #"{"messages": [{"role": "user", "content": "hi"}], "meta": {"details": "not json"}}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ConversationRecord.self, from: Data(bad.utf8)) }
    }
}

@Suite(.requires(.clients)) struct DatasetsInteropTests {
    @Test func everyGeneratorAndImporterOutputLoadsTogetherWithDatasets() async throws {
        let python = try FetchedAsset.clients.require()
        let folder = try Scratch.folder("mimic-datasets")
        defer { Scratch.remove(folder) }
        var files: [String] = []
        var total = 0
        func save(_ records: [ConversationRecord], _ name: String) throws {
            try #require(!records.isEmpty, "\(name) made nothing")
            let url = folder.appendingPathComponent(name + ".jsonl")
            try ConversationJSONL.write(records, to: url)
            files.append(url.path)
            total += records.count
        }
        // The four generators, each with a teacher of its test suite.
        let replay = try await ReplayGenerator(teacher: ReplayTests.echo(), options: ReplayOptions(mode: .turnByTurn))
            .run([ReplayTests.conversation("a", ["hello", "more"], system: "be kind"), ReplayTests.conversation("b", ["solo"])])
        try save(replay.records, "replay")
        let nq = try await NQSyntheticGenerator(teacher: NQSyntheticTests.teacher(), options: NQSyntheticOptions(count: 5, seed: 3))
            .run(seeds: NQSynthetic.defaultSeeds)
        try save(nq.records, "nq")
        let tldr = try await TLDRSyntheticGenerator(teacher: MemoryTeacher { request, _ in "summary: \(request.lastUser.count)" },
                                                    options: TLDRSyntheticTests.options(context: 100_000))
            .run(posts: [TLDRSyntheticTests.post], examples: TLDRSyntheticTests.examples)
        try save(tldr.records, "tldr")
        let instruct = try await SelfInstructGenerator(teacher: MemoryTeacher { request, sampleIndex in
            let prompt = request.lastUser
            guard prompt.contains("Continue the numbered list") else { return "answer \(prompt.count)" }
            return (0..<3).map { "\($0 + 9). Variation \($0) \(sampleIndex) on topic \(prompt.count % 89)" }.joined(separator: "\n")
        }, options: SelfInstructOptions(count: 3, similarityThreshold: 0.99, seed: 5, maxRequests: 6)).run(seeds: SelfInstruct.defaultSeeds)
        try save(instruct.records, "self-instruct")
        // Every importer.
        let inputs: [(ImportFormat, String, String)] = [
            (.sharegpt, "sg.json", ImporterTests.shareGPT),
            (.hc3, "hc3.jsonl", #"{"id": 7, "question": "Why is the sky blue?", "human_answers": ["Scattering."], "chatgpt_answers": ["Rayleigh scattering."], "source": "open_qa"}"# + "\n"),
            (.alpaca, "alpaca.json", #"[{"instruction": "Add", "input": "2 and 2", "output": "4"}]"#),
            (.messages, "messages.jsonl", #"{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}], "meta": {"teacher": "x", "seed": 3, "custom": {"k": 1}}}"# + "\n"),
            (.prompts, "prompts.txt", "What is rain?\nWhy do cats purr?\n"),
            (.promptsJSONL, "prompts.jsonl", #"{"prompt": "Name a planet."}"# + "\n"),
        ]
        for (format, name, text) in inputs {
            let url = folder.appendingPathComponent(name)
            try text.write(to: url, atomically: true, encoding: .utf8)
            var records: [ConversationRecord] = []
            _ = try Importer.forEach(url, format: format) { records.append($0) }
            try save(records, "import-" + format.rawValue)
        }
        let script = """
            import json, sys
            from datasets import load_dataset
            ds = load_dataset("json", data_files=sys.argv[1:], split="train")
            print(json.dumps({"rows": len(ds), "meta": sorted(ds.features["meta"].keys())}))
            """
        let run = try await ChildProcess.run(python, ["-c", script] + files,
                                             environment: ["HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": folder.path + "/hf"])
        try #require(run.status == 0, "datasets could not load the files together: \(run.stderr.suffix(1500))")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.split(separator: UInt8(ascii: "\n")).last ?? [])) as? [String: Any])
        #expect(seen["rows"] as? Int == total && files.count == 10)
        #expect(seen["meta"] as? [String] == ["details", "generator", "request_hash", "sample_index", "seed", "source", "teacher",
                                             "temperature", "template"])
    }
}
