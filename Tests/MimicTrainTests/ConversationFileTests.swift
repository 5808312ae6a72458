// Conversation JSON Lines: good lines, every kind of bad line with its number, the two policies, chunked reading.
import Foundation
import MimicCore
import MimicTestSupport
import MimicTokenizers
@testable import MimicTrain
import Testing

@Suite("Conversation files")
struct ConversationFileTests {
    @Test("good lines: messages, meta, weights; blank lines and CR LF pass")
    func goodFile() throws {
        let (conversations, report) = try ConversationFile(url: Fixtures.conversations("good"), policy: .fail).readAll()
        #expect(conversations.count == 5)
        #expect(report.conversations == 5 && report.lines == 6 && report.blankLines == 1 && report.skipped == 0)
        #expect(conversations.map(\.source.line) == [1, 2, 4, 5, 6])
        #expect(conversations[0].messages == [
            ChatMessage(role: "user", content: "What colour is the sky on a clear day?"),
            ChatMessage(role: "assistant", content: "It is blue."),
        ])
        #expect(conversations[0].metaJSON == #"{"details":"","generator":"","request_hash":"","sample_index":"","seed":"1","source":"mimic-tests","teacher":"scripted","temperature":"","template":""}"#)
        #expect(conversations[1].metaJSON == nil)
        #expect(conversations[1].trainedTurns == [false, false, true, false, true])
        #expect(conversations[2].trainedTurns == [false, false, false, true])  // the first reply has weight 0
        #expect(conversations[4].messages[1].content == "Yes, and the reader drops the CR.")
        let line = #"{"messages":[{"role":"user","content":"Hi"}],"meta":{"source":"data/a.jsonl","t":0.5,"n":null}}"#
        let parsed = try ConversationFile.parse(line: Array(line.utf8), source: SourceLine(file: "m", line: 1))
        // Keys the reader does not know travel in details (one layout for every file).
        #expect(parsed.metaJSON == #"{"details":"{\"n\":null,\"t\":0.5}","generator":"","request_hash":"","sample_index":"","seed":"","source":"data/a.jsonl","teacher":"","temperature":"","template":""}"#)
    }

    @Test("bad lines are skipped and reported with their line and field")
    func badLines() throws {
        let url = try Fixtures.conversations("bad")
        let (conversations, report) = try ConversationFile(url: url, policy: .skip).readAll()
        #expect(conversations.map(\.source.line) == [1, 8])
        #expect(report.skipped == 11 && report.problems.count == 11 && report.lines == 13)
        let found = report.problems.compactMap { error -> (Int, String)? in
            guard case .badLine(let source, let field, _) = error else { return nil }
            return (source.line, field)
        }
        #expect(found.map(\.0) == [2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13])
        #expect(found.map(\.1) == [
            "(line)", "messages", "messages[1].role", "messages[1].content", "(line)", "messages",
            "messages[0].content", "messages[1].weight", "messages[0].content", "messages", "meta",
        ])
        #expect(report.problems[2] == .badLine(SourceLine(file: url.path, line: 4), field: "messages[1].role", problem: .unknownRole("narrator")))
        #expect(report.problems[3] == .badLine(SourceLine(file: url.path, line: 5), field: "messages[1].content", problem: .emptyContent))
        #expect(report.problems[1] == .badLine(SourceLine(file: url.path, line: 3), field: "messages", problem: .missing))
        for problem in report.problems {
            let text = problem.errorDescription ?? ""
            #expect(text.hasPrefix("\(url.path):\(problem.source?.line ?? 0): "), "names file and line: \(text)")
        }
        #expect(report.problems[0].errorDescription?.contains("not valid JSON") == true)
        #expect(report.problems[2].errorDescription?.contains("system, user or assistant") == true)
    }

    @Test("policy .fail throws at the first bad line")
    func failPolicy() throws {
        let url = try Fixtures.conversations("bad")
        var seen = 0
        let error = #expect(throws: ConversationFileError.self) {
            _ = try ConversationFile(url: url, policy: .fail).forEach { _ in seen += 1 }
        }
        #expect(error?.source == SourceLine(file: url.path, line: 2))
        #expect(seen == 1)
    }

    @Test("reading in tiny chunks gives the same lines as reading in memory")
    func chunks() throws {
        let text = "\u{FEFF}{\"a\":1}\r\n\n  \nsecond line, long enough to cross several chunks\nlast without newline"
        let url = try Scratch.file(text, name: "data.jsonl", prefix: "mimic-train")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        // ConversationFile reads through MimicCore's one line reader, LineStream (it replaced MimicTrain's LineReader).
        var lines: [(Int, String)] = []
        try LineStream.forEachLine(of: url, chunkSize: 3) { number, bytes in lines.append((number, String(decoding: bytes, as: UTF8.self))) }
        #expect(lines.map(\.0) == [1, 2, 3, 4, 5])
        #expect(lines.map(\.1) == ["{\"a\":1}", "", "  ", "second line, long enough to cross several chunks", "last without newline"])

        let fromFile = try ConversationFile(url: url).readAll().report
        let inMemory = try ConversationFile.parse(jsonl: text, name: url.path).report
        #expect(fromFile == inMemory)
        #expect(fromFile.lines == 5 && fromFile.blankLines == 2 && fromFile.skipped == 3)
    }

    @Test("the file and in-memory readers agree on the fixtures")
    func sameInMemory() throws {
        for name in ["good", "bad", "untrainable"] {
            let url = try Fixtures.conversations(name)
            let fromFile = try ConversationFile(url: url).readAll()
            let inMemory = try ConversationFile.parse(jsonl: String(decoding: Data(contentsOf: url), as: UTF8.self), name: url.path)
            #expect(fromFile.conversations == inMemory.conversations)
            #expect(fromFile.report == inMemory.report)
        }
        #expect(try ConversationFile.parse(jsonl: "").report.lines == 0)
    }

    @Test("a missing file is an error naming it")
    func missingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/mimic/conversations.jsonl")
        #expect {
            _ = try ConversationFile(url: url).readAll()
        } throws: { error in
            guard case .unreadable(let file, _) = error as? ConversationFileError else { return false }
            return file == url.path && (error.localizedDescription.contains("/nonexistent/mimic/conversations.jsonl"))
        }
    }
}
