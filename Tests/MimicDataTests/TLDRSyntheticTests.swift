// TLDR-synthetic: the 2-to-1 example fall-back at exactly the context length, records, failures, default examples.
import Foundation
import MimicCore
import MimicTeacher
import MimicTestSupport
import MimicTokenizers
import Testing
@testable import MimicData

@Suite struct TLDRSyntheticTests {
    static let examples = [SummaryExample(document: "alpha document text", summary: "alpha sum"),
                           SummaryExample(document: "beta document, a longer one", summary: "beta sum"),
                           SummaryExample(document: "gamma", summary: "gamma sum")]
    static let post = PromptConversation(id: "p1", source: "posts.txt:1",
                                         messages: [ChatMessage(role: "user", content: "my post about a bike")])

    /// Characters as tokens, so the test can compute the lengths exactly.
    static func options(context: Int) -> TLDRSyntheticOptions {
        TLDRSyntheticOptions(contextLength: context, maxTokens: 10, tokenCount: { $0.count }, seed: 5)
    }

    static func examplesShown(_ prompt: String) -> Int { prompt.components(separatedBy: "Summary: ").count - 1 }

    @Test func fallsBackToOneExampleExactlyWhenTwoDoNotFit() async throws {
        let probe = TLDRSyntheticGenerator(teacher: MemoryTeacher { _, _ in "" }, options: Self.options(context: 1_000_000))
        let two = try #require(probe.prompt(0, post: Self.post.userTurns[0], examples: Self.examples))
        #expect(two.examplesUsed == 2 && Self.examplesShown(two.text) == 2)
        // The one-example prompt is the two-example prompt without its second example.
        let one = try #require(TLDRSyntheticGenerator(teacher: probe.teacher, options: Self.options(context: two.text.count + 9))
            .prompt(0, post: Self.post.userTurns[0], examples: Self.examples))
        #expect(one.examplesUsed == 1 && Self.examplesShown(one.text) == 1 && two.text.hasPrefix(String(one.text.prefix(60))))
        for (context, expected) in [(two.text.count + 10, 2), (two.text.count + 9, 1), (one.text.count + 10, 1), (one.text.count + 9, 0)] {
            let teacher = MemoryTeacher { _, _ in "  a summary \n" }
            let generator = TLDRSyntheticGenerator(teacher: teacher, options: Self.options(context: context))
            let result = try await generator.run(posts: [Self.post], examples: Self.examples)
            if expected == 0 {
                #expect(teacher.calls == 0 && result.records.isEmpty)
                #expect(result.report.skipped == 1 && result.report.skipReasons.keys.first?.contains("context") == true)
            } else {
                let sent = try #require(teacher.sent.first)
                #expect(Self.examplesShown(sent.0.lastUser) == expected, "context \(context)")
                #expect(sent.0.lastUser.hasSuffix("Document: my post about a bike\nSummary:"))
                #expect(sent.0.maxTokens == 10)
                #expect(result.records[0].meta.extra["examples_used"] == .int(expected))
            }
        }
    }

    @Test func recordsAreStudentPromptAndSummaryInPostOrder() async throws {
        let posts = (0..<6).map { PromptConversation(id: "\($0)", source: "posts.jsonl:\($0 + 1)",
                                                      messages: [ChatMessage(role: "user", content: "post number \($0)")]) }
        let teacher = MemoryTeacher { request, _ in
            let post = request.lastUser.components(separatedBy: "Document: ").last ?? ""
            if post.hasPrefix("post number 3") { throw FakeFailure(reason: "HTTP 429 after retries") }
            if post.hasPrefix("post number 4") { return "   " }
            return "summary of " + post.replacingOccurrences(of: "\nSummary:", with: "")
        }
        let result = try await TLDRSyntheticGenerator(teacher: teacher, options: Self.options(context: 100_000), settings: CollectionSettings(maxInFlight: 2))
            .run(posts: posts, examples: TLDRSynthetic.defaultExamples)
        #expect(result.records.map { $0.messages[1].content } == ["summary of post number 0", "summary of post number 1",
                                                                  "summary of post number 2", "summary of post number 5"])
        #expect(result.records[0].messages[0] == ChatMessage(role: "user", content: "Summarize the following document.\n\nDocument: post number 0"))
        #expect(result.records[3].meta.source == "posts.jsonl:6" && result.records[3].meta.generator == "tldr-synthetic")
        #expect(result.report.failed == 1 && result.report.failureReasons == ["HTTP 429 after retries": 1])
        #expect(result.report.malformedDropped == 1 && result.report.requested == 6 && result.report.records == 4)
    }

    @Test func budgetStopWritesTheFinishedRecords() async throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let output = folder.appendingPathComponent("tldr.jsonl")
        let posts = (0..<8).map { PromptConversation(id: "\($0)", source: "p:\($0)", messages: [ChatMessage(role: "user", content: "post \($0)")]) }
        let teacher = MemoryTeacher { request, _ in
            if request.lastUser.hasSuffix("post 4\nSummary:") { throw TeacherError.budgetExhausted(spent: 1, budget: 1) }
            return "short"
        }
        let settings = CollectionSettings(maxInFlight: 1, output: output, checkpointSeconds: 3600)
        await #expect(throws: TeacherError.budgetExhausted(spent: 1, budget: 1)) {
            _ = try await TLDRSyntheticGenerator(teacher: teacher, options: Self.options(context: 100_000), settings: settings)
                .run(posts: posts, examples: Self.examples)
        }
        let (records, _) = try ConversationJSONL.read(output)
        #expect(records.map { $0.meta.source } == ["p:0", "p:1", "p:2", "p:3"])
        #expect(teacher.sent.count == 5)  // nothing after the budget stop
    }

    @Test func defaultExamplesAndTheirFile() throws {
        #expect(TLDRSynthetic.defaultExamples.count == 4)
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../data/seeds/tldr-examples.jsonl").standardizedFileURL
        #expect(try TLDRSynthetic.loadExamples(file) == TLDRSynthetic.defaultExamples)
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let bad = try write("{\"post\":\"p\",\"summary\":\"s\"}\n{\"post\":\"no summary\"}\n", "ex.jsonl", in: folder)
        #expect(throws: RecordFileError.malformedLine(file: bad.path, line: 2,
                                                      problem: "expected {\"document\" (or post/content/text): …, \"summary\": …}")) {
            try TLDRSynthetic.loadExamples(bad)
        }
    }
}
