// Importers on small samples written in each dataset's published schema, malformed records included.
import Foundation
import MimicCore
import MimicData
import MimicTestSupport
import Testing

@Suite struct ImporterTests {
    func write(_ text: String, _ name: String, in folder: URL) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    func records(_ url: URL, _ format: ImportFormat, _ options: ImportOptions = ImportOptions()) throws -> ([ConversationRecord], ImportReport) {
        var out: [ConversationRecord] = []
        let report = try Importer.forEach(url, format: format, options: options) { out.append($0) }
        return (out, report)
    }

    static let shareGPT = """
    [
      {"id": "a1", "conversations": [{"from": "system", "value": "Be brief."}, {"from": "human", "value": "Hi there"}, {"from": "gpt", "value": "Hello!"}, {"from": "human", "value": "Bye"}, {"from": "gpt", "value": "Goodbye."}]},
      {"id": "a2", "conversations": [{"from": "robot", "value": "??"}]},
      {"id": "a3", "conversations": [{"from": "human", "value": "What is 2+2?"}, {"from": "gpt", "value": "4"}]},
      {"id": "a4", "conversations": [{"from": "human", "value": "Tell me a story"}, {"from": "gpt", "value": "Once upon a time"}]}
    ]
    """

    @Test func shareGPTKeepsEveryTurnAndNamesTheBadElement() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let url = try write(Self.shareGPT, "sg.json", in: folder)
        let (out, report) = try records(url, .sharegpt)
        #expect(out.count == 3)
        #expect(report.items == 4 && report.records == 3 && report.malformed == 1 && !report.truncated)
        #expect(out[0].messages.map(\.role) == ["system", "user", "assistant", "user", "assistant"])
        #expect(out[0].messages.last?.content == "Goodbye.")
        #expect(out[0].meta.source == "\(url.path)#1")
        #expect(out[0].meta.extra["id"] == .string("a1"))
        #expect(out[1].meta.source == "\(url.path)#3")
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.contains("element 2") == true)
        #expect(report.problems.first?.contains("unknown role") == true)
        // The element's byte offset is where its "{" stands.
        let second = Self.shareGPT.range(of: "{\"id\": \"a2\"")
        let offset = second.map { Self.shareGPT.utf8.distance(from: Self.shareGPT.utf8.startIndex, to: $0.lowerBound) }
        #expect(report.problems.first?.contains("byte \(offset ?? -1)") == true)
    }

    /// ShareGPT dumps hold conversations whose first turn (after the system prompt) is the assistant's; strict chat
    /// templates refuse them, so they are counted, and kept, trimmed to the first user turn, or dropped.
    @Test func conversationsThatBeginWithTheAssistantAreCountedTrimmedOrDropped() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let url = try write("""
            [
              {"id": "b1", "conversations": [{"from": "gpt", "value": "Sure, here it is."}, {"from": "human", "value": "Thanks! And in French?"}, {"from": "gpt", "value": "Merci !"}]},
              {"id": "b2", "conversations": [{"from": "system", "value": "Be brief."}, {"from": "gpt", "value": "Hello."}, {"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hi."}]},
              {"id": "b3", "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}]}
            ]
            """, "lead.json", in: folder)
        let (kept, keptReport) = try records(url, .sharegpt)
        #expect(kept.count == 3 && keptReport.leadingAssistant == 2 && keptReport.leadingAssistantDropped == 0)
        let (trimmed, trimReport) = try records(url, .sharegpt, ImportOptions(leadingAssistant: .trim))
        #expect(trimmed.map { $0.meta.extra["id"] } == [.string("b1"), .string("b2"), .string("b3")])
        #expect(trimmed[0].messages.map(\.role) == ["user", "assistant"] && trimmed[0].messages[0].content == "Thanks! And in French?")
        #expect(trimmed[1].messages.map(\.role) == ["system", "user", "assistant"])   // the system prompt stays
        #expect(trimReport.leadingAssistant == 2 && trimReport.leadingAssistantDropped == 0 && trimReport.records == 3)
        let (dropped, dropReport) = try records(url, .sharegpt, ImportOptions(leadingAssistant: .drop))
        #expect(dropped.map { $0.meta.extra["id"] } == [.string("b3")] && dropReport.leadingAssistantDropped == 2)
    }

    @Test func truncatedShareGPTKeepsEveryCompleteConversation() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let cut = String(Self.shareGPT.prefix(upTo: Self.shareGPT.range(of: "Tell me")!.upperBound))
        let url = try write(cut, "cut.json", in: folder)
        let (out, report) = try records(url, .sharegpt)
        #expect(out.map { $0.meta.extra["id"] } == [.string("a1"), .string("a3")])
        #expect(report.truncated)
        #expect(report.stoppedAt?.contains("after 3 whole elements") == true)
        #expect(report.malformed == 1)
    }

    @Test func shareGPTThatIsNotAnArrayIsAnError() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let url = try write("{\"id\": 1}", "obj.json", in: folder)
        #expect(throws: RecordFileError.self) { _ = try records(url, .sharegpt) }
    }

    @Test func hc3GivesOneConversationPerChatGPTAnswer() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let text = """
        {"id": 7, "question": "Why is the sky blue?", "human_answers": ["Rayleigh."], "chatgpt_answers": ["Scattering.", "Because of Rayleigh scattering."], "source": "open_qa"}
        {"question": "broken", "chatgpt_answers": [
        {"question": "No answers?", "human_answers": ["x"], "chatgpt_answers": []}

        {"question": "Ok?", "human_answers": [], "chatgpt_answers": ["Yes."]}
        """
        let url = try write(text, "hc3.jsonl", in: folder)
        let (all, report) = try records(url, .hc3)
        #expect(all.map { $0.messages.last?.content } == ["Scattering.", "Because of Rayleigh scattering.", "Yes."])
        #expect(all[0].messages.map(\.role) == ["user", "assistant"] && all[0].messages[0].content == "Why is the sky blue?")
        #expect(all[1].meta.extra["hc3_answer"] == .int(1) && all[1].meta.extra["hc3_source"] == .string("open_qa"))
        #expect(all[2].meta.source == "\(url.path):5")
        #expect(report.malformed == 2 && report.items == 4)
        #expect(report.problems[0].hasPrefix("\(url.path):2: not valid JSON"))
        #expect(report.problems[1].hasPrefix("\(url.path):3: chatgpt_answers is empty"))
        let (first, _) = try records(url, .hc3, ImportOptions(hc3Answers: .first))
        #expect(first.count == 2)
    }

    @Test func alpacaJoinsInstructionAndInput() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let text = """
        [{"instruction": "Translate to French.", "input": "Good morning", "output": "Bonjour"},
         {"instruction": "Name a color.", "input": "", "output": "Blue"},
         {"instruction": "No output here.", "input": ""},
         {"instruction": "Count.", "input": 3, "output": "3"}]
        """
        let url = try write(text, "alpaca.json", in: folder)
        let (out, report) = try records(url, .alpaca)
        #expect(out.map { $0.messages[0].content } == ["Translate to French.\n\nGood morning", "Name a color."])
        #expect(out.map { $0.messages[1].content } == ["Bonjour", "Blue"])
        #expect(report.malformed == 2)
        #expect(report.problems[0].contains("element 3") && report.problems[0].contains("missing field output"))
        #expect(report.problems[1].contains("element 4") && report.problems[1].contains("input is not a string"))
    }

    @Test func messagesJSONLKeepsMetaAndNormalisesRoles() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let text = """
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hey"}], "meta": {"teacher": "gpt-4o", "source": "seed.txt:3"}}
        {"messages": [{"role": "assistant", "content": "No user"}]}
        not json
        {"conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]}
        """
        let url = try write(text, "m.jsonl", in: folder)
        let (out, report) = try records(url, .messages)
        #expect(out.count == 2)
        #expect(out[0].meta.teacher == "gpt-4o" && out[0].meta.source == "\(url.path):1")
        #expect(out[0].meta.extra["origin"] == .string("seed.txt:3"))
        #expect(out[1].messages.map(\.role) == ["user", "assistant"])
        #expect(report.problems.map { $0.components(separatedBy: ": ").first ?? "" } == ["\(url.path):2", "\(url.path):3"])
    }

    @Test func promptListsBecomeUserOnlyConversations() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let plain = try write("First prompt\n\n  Second prompt  \r\n", "p.txt", in: folder)
        let (lines, _) = try records(plain, .prompts)
        #expect(lines.map { $0.messages } == [[.init(role: "user", content: "First prompt")], [.init(role: "user", content: "Second prompt")]])
        #expect(lines[1].meta.source == "\(plain.path):3")
        let jsonl = try write("{\"q\": \"Alpha\"}\n{\"x\": 1}\n{\"q\": \"Beta\"}\n", "p.jsonl", in: folder)
        let (fielded, report) = try records(jsonl, .promptsJSONL, ImportOptions(field: "q"))
        #expect(fielded.map { $0.messages[0].content } == ["Alpha", "Beta"])
        #expect(report.problems.first?.hasPrefix("\(jsonl.path):2: no text field") == true)
    }

    @Test func importFileWritesAtomicallyAndStopsAtTheLimit() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let url = try write(Self.shareGPT, "sg.json", in: folder)
        let out = folder.appendingPathComponent("out.jsonl")
        let report = try Importer.importFile(url, format: .sharegpt, to: out, options: ImportOptions(limit: 2))
        #expect(report.records == 2 && report.limited)
        let (written, _) = try ConversationJSONL.read(out)
        #expect(written.count == 2 && written[1].messages[0].content == "What is 2+2?")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func htmlBecomesMarkdownWhenAsked() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let text = #"[{"id": "h", "conversations": [{"from": "human", "value": "Show &lt;b&gt;"}, {"from": "gpt", "value": "<p>Use <strong>bold</strong> &amp; <em>care</em>.</p>"}]}]"#
        let url = try write(text, "h.json", in: folder)
        let (plain, _) = try records(url, .sharegpt)
        #expect(plain[0].messages[1].content == "<p>Use <strong>bold</strong> &amp; <em>care</em>.</p>")
        let (converted, _) = try records(url, .sharegpt, ImportOptions(htmlToMarkdown: true))
        #expect(converted[0].messages[1].content == "Use **bold** & *care*.")
        #expect(converted[0].messages[0].content == "Show &lt;b&gt;")  // no tags: unchanged
    }
}

@Suite struct HTMLToMarkdownTests {
    @Test func paragraphsListsAndEmphasis() {
        let html = "<p>Steps:</p><ol><li>Open the <code>file</code></li><li>Read <a href=\"https://x.org/a\">the docs</a></li></ol><ul><li>one<ul><li>nested</li></ul></li><li>two</li></ul><p>Done&nbsp;now &#39;ok&#x27;</p>"
        let expected = "Steps:\n\n1. Open the `file`\n2. Read [the docs](https://x.org/a)\n\n- one\n  - nested\n- two\n\nDone now 'ok'"
        #expect(HTMLToMarkdown.convert(html) == expected)
    }

    @Test func preBlocksBecomeFencesWithTheirLanguage() {
        let html = "<p>Try:</p><pre><div class=\"bg-black\"><div class=\"flex\"><span>python</span><button>Copy code</button></div><div><code class=\"!whitespace-pre hljs language-python\">def f(x):\n    return x &lt; 2\n</code></div></div></pre><p>Then run it.</p>"
        #expect(HTMLToMarkdown.convert(html) == "Try:\n\n```python\ndef f(x):\n    return x < 2\n```\n\nThen run it.")
    }

    @Test func headingsTablesAndBreaks() {
        let html = "<h2>Title</h2><table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>line<br>next"
        #expect(HTMLToMarkdown.convert(html) == "## Title\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\nline\nnext")
    }

    @Test func textWithoutKnownTagsIsUnchanged() {
        for text in ["Vec<T> and a < b && c > d", "Use List<String> here &amp; there", "plain\n\n  spaced   text"] {
            #expect(HTMLToMarkdown.convert(text) == text)
        }
    }

    @Test func markdownCodeIsLeftAlone() {
        let text = "Use this:\n```jsx\nreturn (\n  <div>\n    <p>hi</p>\n  </div>\n)\n```\nThen <strong>run</strong> `<br>` it."
        #expect(HTMLToMarkdown.convert(text) == "Use this:\n```jsx\nreturn (\n  <div>\n    <p>hi</p>\n  </div>\n)\n```\nThen **run** `<br>` it.")
    }

    @Test func mixedMarkdownKeepsItsLinesAndJSXIsCode() {
        let table = "Compare:\n\n| a | b |\n| --- | --- |\n| `x`<br>`y` | 2 |\n\nSee <strong>this</strong>."
        #expect(HTMLToMarkdown.convert(table) == "Compare:\n\n| a | b |\n| --- | --- |\n| `x`<br>`y` | 2 |\n\nSee **this**.")
        let jsx = "return (\n<div className={style.page}>\n<p>{name}</p>\n</div>\n)"
        #expect(HTMLToMarkdown.convert(jsx) == jsx)
    }

    @Test func entitiesDecode() {
        #expect(HTMLToMarkdown.decodeEntities("&lt;a&gt; &amp;amp; &#65;&#x42; &bogus; & alone") == "<a> &amp; AB &bogus; & alone")
    }
}
