// The style stage: its config through ConfigResolver (file, MIMIC_STYLE_* environment, flags; fields named in
// errors), the figures of the matched pairs for the candidate and for reference2, and a written report that reruns
// to the same result with --config.
import Foundation
import MimicCore
import MimicData
import MimicMetrics
import MimicStages
import MimicTestSupport
import Testing

@Suite struct StyleStageTests {
    /// Conversation JSONL of (id, prompt, answer) items.
    func write(_ items: [(String?, String, String)], to path: String) throws {
        let records = items.map { id, prompt, answer in
            ConversationRecord(messages: [ChatMessage(role: "user", content: prompt), ChatMessage(role: "assistant", content: answer)],
                               meta: RecordMeta(extra: id.map { ["id": .string($0)] } ?? [:]))
        }
        try ConversationJSONL.write(records, to: URL(fileURLWithPath: path))
    }

    static let reference: [(String?, String, String)] = [
        ("a", "Plan a trip", "Here is a plan:\n- book a train\n- pack light\n\nOverall, keep it simple."),
        ("b", "Cook rice", "1. rinse the rice\n2. boil it for twelve minutes\n\nIn short, rinse and boil."),
        ("c", "Say hello", "Hello there, nice to meet you."),
        ("d", "Explain tides", "The moon pulls the sea, and the earth turns under the bulge twice a day."),
        (nil, "Only here", "Nothing else answers this."),
    ]
    static let candidate: [(String?, String, String)] = [
        ("b", "Cook rice", "Boil the rice in water until it is soft, about twelve minutes."),
        ("a", "Plan a trip", "A plan:\n* book the train early\n* pack light\n\nIn summary, simple is best."),
        ("d", "Explain tides", "Tides come from the moon's pull on the oceans."),
        ("c", "Say hello", "Hi! Nice to meet you, friend, and welcome."),
    ]
    static let second: [(String?, String, String)] = [
        (nil, "Plan a trip", "Plan:\n- train\n- light bag\n\nTo sum up, keep it simple."),
        (nil, "Cook rice", "1. rinse\n2. boil twelve minutes\n\nIn short, that is all."),
        (nil, "Say hello", "Hello, nice to meet you."),
    ]

    @Test func figuresAreThoseOfTheMatchedPairsAndTheReportRerunsFromItsConfig() async throws {
        let folder = try ScratchFolder()
        let (c, r, r2) = (folder.path + "/c.jsonl", folder.path + "/r.jsonl", folder.path + "/r2.jsonl")
        try write(Self.candidate, to: c)
        try write(Self.reference, to: r)
        try write(Self.second, to: r2)
        var config = StyleConfig()
        config.candidate = c
        config.reference = r
        config.reference2 = r2
        config.bootstrap = 200
        config.seed = 9
        config.out = folder.path + "/style.json"
        let report = try await StyleStage.run(config)

        // Pairs in the reference's order: a, b, c, d for the candidate; a, b, c for reference2 (by prompt).
        let answers = { (items: [(String?, String, String)], prompts: [String]) in
            prompts.map { p in items.first { $0.1 == p }!.2 }
        }
        let prompts = ["Plan a trip", "Cook rice", "Say hello", "Explain tides"]
        let expected = try StyleMetrics.figures(zip(answers(Self.candidate, prompts), answers(Self.reference, prompts)).map { ($0, $1) },
                                                resamples: 200, seed: 9)
        #expect(report.candidate.figures == expected)
        #expect(report.candidate.figures.listMatch.value == 50 && report.candidate.figures.listMatch.n == 2)
        #expect(report.candidate.figures.summaryMatch.value == 50 && report.candidate.figures.summaryMatch.n == 2)
        #expect(report.candidate.matching.matchedById == 4 && report.candidate.matching.unmatchedBaseline.map(\.line) == [5])
        let upper = try #require(report.reference2)
        #expect(upper.matching.matchedByPrompt == 3 && upper.figures.listMatch.value == 100 && upper.figures.summaryMatch.value == 100)
        #expect(report.candidate.figures.authoritativeTone == nil && report.notes == [StyleStage.judgeNote])

        // The written report: snake_case keys, the figures by metric name; given to --config it reruns the same.
        let written = try String(contentsOfFile: config.out!, encoding: .utf8)
        for key in ["\"list_match\"", "\"length_correlation\"", "\"matched_by_id\"", "\"unmatched_baseline\"", "\"reference2\"", "\"bootstrap\" : 200"] {
            #expect(written.contains(key), "\(key)")
        }
        #expect(!written.contains("\"authoritative_tone\" :"), "a figure nobody computed is left out, not written as 0")
        let again = try ConfigResolver.resolve(StyleConfig(), file: config.out, environmentPrefix: "MIMIC_STYLE", environment: [:]) {
            $0.out = nil
        }
        var rerun = try await StyleStage.run(again)
        rerun.config.out = config.out
        #expect(rerun == report)
        let table = report.renderText()
        #expect(table.contains("list_match (%)") && table.contains("50.0 [") && table.contains("needs --judge"))
    }

    @Test func configLayersAndBadFieldsAreNamed() throws {
        let folder = try ScratchFolder()
        let (c, r) = (folder.path + "/c.jsonl", folder.path + "/r.jsonl")
        try write(Self.candidate, to: c)
        try write(Self.reference, to: r)
        let file = folder.path + "/style.yaml"
        try "candidate: \(c)\nreference: \(r)\nseed: 3\n".write(toFile: file, atomically: true, encoding: .utf8)
        let resolved = try ConfigResolver.resolve(StyleConfig(), file: file, environmentPrefix: "MIMIC_STYLE",
                                                  environment: ["MIMIC_STYLE_BOOTSTRAP": "50", "MIMIC_STYLE_SEED": "4"]) { $0.seed = 5 }
        #expect(resolved.bootstrap == 50 && resolved.seed == 5 && resolved.candidate == c)
        var missing = resolved
        missing.reference = folder.path + "/nope.jsonl"
        #expect { try missing.validate() } throws: { ($0 as? ConfigError)?.field == "reference" }
        missing = resolved
        missing.reference2 = ""
        #expect { try missing.validate() } throws: { ($0 as? ConfigError)?.field == "reference2" }
        missing = resolved
        missing.bootstrap = -1
        #expect { try missing.validate() } throws: { ($0 as? ConfigError)?.field == "bootstrap" }
        try "candidate: \(c)\nrefrence: \(r)\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect { try ConfigResolver.resolve(StyleConfig(), file: file, environmentPrefix: "MIMIC_STYLE", environment: [:]) } throws: {
            ($0 as? ConfigError)?.field == "refrence"
        }
    }

    @Test func noMatchedItemIsAnErrorNamingTheFile() async throws {
        let folder = try ScratchFolder()
        let (c, r) = (folder.path + "/c.jsonl", folder.path + "/r.jsonl")
        try write([(nil, "something else", "x")], to: c)
        try write(Self.reference, to: r)
        var config = StyleConfig()
        config.candidate = c
        config.reference = r
        await #expect(throws: AnswerMatchError.noMatches(candidateFile: c, candidateItems: 1, baselineFile: r, baselineItems: 5)) {
            try await StyleStage.run(config)
        }
    }
}
