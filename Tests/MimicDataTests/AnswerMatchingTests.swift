// Answer matching: by meta.id when both items have one, else by the (trimmed) first user message; the last assistant
// message is the answer; unmatched items, duplicates and unusable items are reported on each side, never dropped.
import Foundation
import MimicCore
import MimicData
import MimicTestSupport
import Testing

@Suite struct AnswerMatchingTests {
    /// A record line: a user turn (unless nil), assistant turns, and `meta.id` (a JSON literal) when given.
    func line(_ prompt: String?, _ answers: [String], id: String? = nil) throws -> String {
        var messages: [[String: String]] = prompt.map { [["role": "user", "content": $0]] } ?? []
        messages += answers.map { ["role": "assistant", "content": $0] }
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["messages": messages], options: [.sortedKeys]), as: UTF8.self)
        guard let id else { return body }
        return String(body.dropLast()) + #","meta":{"id":\#(id)}}"#
    }

    func file(_ name: String, _ lines: [String], in folder: ScratchFolder) throws -> AnswerFile {
        let path = folder.path + "/\(name).jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return try AnswerFile.read(path, name: name)
    }

    @Test func itemsPairByIdWhenBothHaveOneElseByTrimmedPrompt() throws {
        let folder = try ScratchFolder()
        let reference = try file("reference", [
            line("What is 2+2?", ["4"], id: #""q1""#),
            line("Name a colour.", ["Red."], id: "7"),
            line("  Why is the sky blue?\n", ["Rayleigh scattering."]),
            line("Same prompt, other ids", ["first sample"], id: #""s1""#),
            line("Only in the reference", ["x"]),
        ], in: folder)
        let candidate = try file("candidate", [
            line("Only in the candidate", ["y"]),
            line("What is two plus two?", ["four", "Four, finally."], id: #""q1""#),
            line("Why is the sky blue?", ["Because of scattering."], id: #""z9""#),
            line("Name a colour.", ["Blue."], id: #""7""#),
            line("Same prompt, other ids", ["second sample"], id: #""s2""#),
        ], in: folder)
        let m = AnswerMatcher.match(baseline: reference, candidate: candidate)
        // Pairs in the reference's order: q1 by id (prompts differ), 7 by id (7 and "7" are one id), the sky by prompt
        // (the reference item has no id; its prompt is trimmed); s1/s2 have different ids, so they are not paired.
        #expect(m.pairs.map(\.key) == [.id, .id, .prompt])
        #expect(m.pairs.map(\.baseline.line) == [1, 2, 3] && m.pairs.map(\.candidate.line) == [2, 4, 3])
        #expect(m.pairs[0].candidateAnswer == "Four, finally." && m.pairs[0].baselineAnswer == "4", "the last assistant message")
        #expect(m.report.matched == 3 && m.report.matchedById == 2 && m.report.matchedByPrompt == 1)
        #expect(m.report.unmatchedBaseline.map(\.line) == [4, 5] && m.report.unmatchedCandidate.map(\.line) == [1, 5])
        #expect(m.report.unmatchedBaseline[1].prompt == "Only in the reference" && m.report.unmatchedCandidate[1].id == "s2")
        #expect(m.report.duplicates.isEmpty && m.report.unusable.isEmpty)
        #expect(m.report.baselineItems == 5 && m.report.candidateItems == 5)
        try m.requireMatches()
    }

    @Test func duplicatesKeepTheFirstAndUnusableItemsAreReported() throws {
        let folder = try ScratchFolder()
        let reference = try file("reference", [
            line("Repeated prompt", ["first"]),
            line("Repeated prompt", ["second"]),
            line("A", ["a"], id: #""dup""#),
            line("B", ["b"], id: #""dup""#),
            line("No answer yet", []),
            line(nil, ["an answer to nothing"]),
        ], in: folder)
        let candidate = try file("candidate", [
            line("Repeated prompt", ["mine"]),
            line("X", ["x"], id: #""dup""#),
            line("No answer yet", ["now answered"]),
        ], in: folder)
        let m = AnswerMatcher.match(baseline: reference, candidate: candidate)
        #expect(m.pairs.map { [$0.baseline.line, $0.candidate.line] } == [[1, 1], [3, 2]])
        #expect(m.report.duplicates.map { [$0.line, $0.keptLine ?? 0] } == [[2, 1], [4, 3]])
        #expect(m.report.duplicates.map(\.reason) == ["same first user message as line 1", "same meta.id as line 3"])
        #expect(m.report.unusable.map { "\($0.system):\($0.line) \($0.reason)" }
                == ["reference:5 no assistant message", "reference:6 neither a meta.id nor a user message"])
        #expect(m.report.unmatchedCandidate.map(\.line) == [3] && m.report.unmatchedBaseline.isEmpty)
    }

    @Test func severalSystemsEachAgainstTheBaselineAndNoMatchIsAnError() throws {
        let folder = try ScratchFolder()
        let reference = try file("reference", [line("p1", ["r1"]), line("p2", ["r2"])], in: folder)
        let a = try file("a", [line("p2", ["a2"])], in: folder)
        let b = try file("b", [line("other", ["b"])], in: folder)
        let all = AnswerMatcher.match(baseline: reference, candidates: [a, b])
        #expect(all.map(\.report.candidate) == ["a", "b"] && all.map(\.report.baseline) == ["reference", "reference"])
        #expect(all[0].pairs.map(\.candidateAnswer) == ["a2"] && all[1].pairs.isEmpty)
        #expect(throws: AnswerMatchError.noMatches(candidateFile: b.path, candidateItems: 1, baselineFile: reference.path, baselineItems: 2)) {
            try all[1].requireMatches()
        }
        let message = AnswerMatchError.noMatches(candidateFile: b.path, candidateItems: 1, baselineFile: reference.path, baselineItems: 2)
            .localizedDescription
        #expect(message.hasPrefix(b.path + ": none of its 1 items") && message.contains(reference.path))
    }

    @Test func aMalformedLineOrMissingFileNamesTheFile() throws {
        let folder = try ScratchFolder()
        let path = folder.path + "/bad.jsonl"
        try (try line("p", ["a"]) + "\n{\"messages\": [}\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect { try AnswerFile.read(path, name: "x") } throws: { error in
            guard case .malformedLine(let file, let line, _)? = error as? RecordFileError else { return false }
            return file == path && line == 2
        }
        #expect(throws: RecordFileError.self) { try AnswerFile.read(folder.path + "/missing.jsonl", name: "x") }
    }
}
