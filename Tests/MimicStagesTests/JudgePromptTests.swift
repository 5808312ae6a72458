// Reading judges' replies, which are untrusted text: a verdict only when one tag stands unquoted; scores only as two
// numbers from 1 to 10 on the first line; the shipped prompts load, and answers are never read as placeholders.
import Foundation
import MimicCore
import MimicStages
import MimicTeacher
import MimicTestSupport
import Testing

@Suite struct JudgePromptTests {
    static let judges = FetchedAsset.packageRoot + "/judges"

    func prompt(_ name: String) throws -> JudgePrompt { try JudgePrompt.load(Self.judges + "/" + name) }

    @Test func verdictsOnHostileReplies() throws {
        let p = try prompt("pairwise.yaml")
        let cases: [(String, JudgePrompt.Reading)] = [
            ("The second one is clearer.\n[[B]]", .second(scores: nil)),
            ("[[a]]", .first(scores: nil)),                                    // lower case
            ("Verdict: [[ C ]]", .tie(scores: nil)),                           // spaces inside
            ("I must answer \"[[A]]\" or \"[[B]]\" or '[[C]]'. I choose [[B]].", .second(scores: nil)),  // quoted mentions
            ("Use `[[A]]` if the first is better. Both are equal: [[C]]", .tie(scores: nil)),
            ("[[A]] ... on reflection [[B]]", .unreadable("more than one verdict tag: [[A]] and [[B]]")),
            ("The first answer is better.", .unreadable("no verdict tag ([[A]], [[B]], [[C]]) in the reply")),
            ("\"[[A]]\"", .unreadable("no verdict tag ([[A]], [[B]], [[C]]) in the reply")),   // only a quoted mention
            ("[[D]] [[AB]] [A] [[", .unreadable("no verdict tag ([[A]], [[B]], [[C]]) in the reply")),
            ("[[A]] and again [[A]]", .first(scores: nil)),                    // the same tag twice is one verdict
        ]
        for (reply, expected) in cases { #expect(p.read(reply) == expected, "\(reply)") }
    }

    @Test func scoresOnTheFirstLine() throws {
        let p = try prompt("scores.yaml")
        #expect(p.read("8 6\nAssistant 1 is more detailed.") == .first(scores: (8, 6)))
        #expect(p.read("\n  7, 9\n") == .second(scores: (7, 9)))
        #expect(p.read("5/10 5/10") == .tie(scores: (5, 5)))
        #expect(p.read("Assistant 1: 8\nAssistant 2: 6") == .unreadable("no two scores from 1 to 10 on the first line"))
        #expect(p.read("11 3") == .unreadable("no two scores from 1 to 10 on the first line"))
        #expect(p.read("8 6 4") == .unreadable("no two scores from 1 to 10 on the first line"))
    }

    @Test func rubricAndRendering() throws {
        let r = try prompt("authoritative.yaml")
        #expect(r.kind == .rubric && r.read("Confident throughout. [[YES]]") == .yes && r.read("[[no]]") == .no)
        let p = try prompt("pairwise.yaml")
        // An answer that contains a placeholder is shown as written, never filled in.
        let messages = p.messages(question: "Q {answer_2}?", answers: ["first {question}", "second"])
        #expect(messages.count == 2 && messages[0].role == "system")
        let user = messages[1].content
        #expect(user.contains("Q {answer_2}?") && user.contains("first {question}") && user.contains("second"))
        #expect(user.range(of: "first {question}")!.lowerBound < user.range(of: "[The second answer]")!.lowerBound)
        #expect(p.hash.count == 64)
    }

    @Test func aChoiceIsReadFromTheFirstTokensProbabilities() throws {
        let choice = try prompt("pairwise-logprobs.yaml")
        #expect(choice.kind == .choice)
        func logprobs(_ token: String, _ alternatives: [(String, Double)]) -> ChatLogprobs {
            ChatLogprobs(content: [.init(token: token, logprob: alternatives.first { $0.0 == token }?.1 ?? -0.1,
                                         topLogprobs: alternatives.map { .init(token: $0.0, logprob: $0.1) })])
        }
        // B's variants together outweigh A, though A alone is the likeliest token.
        let summed = choice.read(logprobs: logprobs("A", [("A", log(0.4)), (" B", log(0.3)), ("b", log(0.2)), ("The", log(0.1))]))
        #expect(summed.reading == .second(scores: nil) && summed.text.contains("P(B) 0.5000"))
        #expect(choice.read(logprobs: logprobs(" A", [(" A", log(0.6)), ("B", log(0.3))])).reading == .first(scores: nil))
        #expect(choice.read(logprobs: logprobs("A", [("A", log(0.5)), ("B", log(0.5))])).reading == .tie(scores: nil))
        guard case .unreadable = choice.read(logprobs: logprobs("The", [("The", log(0.9)), ("I", log(0.1))])).reading else {
            Issue.record("neither letter must be unreadable")
            return
        }
        guard case .unreadable = choice.read(logprobs: nil).reading else {
            Issue.record("no log-probabilities must be unreadable")
            return
        }
        // Text is not how a choice is read.
        guard case .unreadable = choice.read("[[A]]") else {
            Issue.record("a choice prompt must not read text")
            return
        }
    }

    @Test func aBrokenPromptFileIsAConfigError() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("judge-\(UUID().uuidString).yaml").path
        try "kind: verdict\ntemplate: \"{question} {answer_1}\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try JudgePrompt.load(path) } throws: { ($0 as? ConfigError)?.problem.contains("{answer_2}") == true }
        try "kind: opinion\ntemplate: x\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try JudgePrompt.load(path) }
    }
}
