// Filters and aggregation: GSM8K's answer extraction, the bootstrap, missing scores, corpus BLEU through a task.
// (SQuAD exact match and accuracy are in MimicMetricsTests.)
import Foundation
import MimicCore
@testable import MimicEval
import MimicData
import MimicMetrics
import Testing

@Suite struct MetricsTests {
    func pipeline(_ task: String, _ name: String) throws -> FilterPipeline {
        let t = try EvalTask.resolve(task, directories: [EvalPaths.tasks])
        return try FilterPipeline(try #require(t.filters?.first { $0.name == name }))
    }

    @Test func gsm8kStrictAndFlexibleExtraction() throws {
        let strict = try pipeline("gsm8k_cot", "strict-match"), flexible = try pipeline("gsm8k_cot", "flexible-extract")
        let cases: [(String, String, String)] = [
            ("She pays 3*4 = 12 dollars. The answer is 12.", "12", "12"),
            ("Total is 1,250 apples. The answer is 1,250.", "1250", "1250"),
            ("He has 5 then 7, so 12 in all.", "[invalid]", "12"),
            ("It costs $1,200. So the total is $1,450.", "[invalid]", "1450"),
            ("The answer is -3.", "-3", "-3"),
            ("no numbers here", "[invalid]", "[invalid]"),
        ]
        for (text, s, f) in cases {
            #expect(strict.apply(text) == s, "strict \(text)")
            #expect(flexible.apply(text) == f, "flexible \(text)")
        }
    }

    @Test func filterStepsAndErrors() throws {
        #expect(try FilterStep(FilterStepSpec(function: "first_line")).apply("a\nb") == "a")
        #expect(try FilterStep(FilterStepSpec(function: "take_until", text: "###")).apply("x ### y") == "x ")
        #expect(try FilterStep(FilterStepSpec(function: "regex", pattern: "(a)(b)?", group: "2")).apply("ac") == "[invalid]")
        #expect(throws: EvalError.self) { try FilterStep(FilterStepSpec(function: "regex", pattern: "(a)", group: "3")) }
        #expect(throws: EvalError.self) { try FilterStep(FilterStepSpec(function: "shout")) }
    }

    @Test func bootstrapIsSeededAndNearTheBinomialError() throws {
        var task = try EvalTask.resolve("nq_open", directories: [EvalPaths.tasks])
        task.filters = nil
        var records: [ItemRecord] = []
        for i in 0..<400 {
            var r = ItemRecord(PreparedItem(index: i, doc: Document(fields: [:], source: "x"), prompt: ""))
            r.metrics["exact_match,none"] = i % 4 == 0 ? 1 : 0
            records.append(r)
        }
        let a = Aggregator(task: task, iterations: 2000, seed: 7).result(records: records, model: "m")
        let b = Aggregator(task: task, iterations: 2000, seed: 7).result(records: records, model: "m")
        let m = try #require(a.metrics["exact_match,none"])
        #expect(m.value == 0.25)
        #expect(m.stderr == b.metrics["exact_match,none"]?.stderr)
        let binomial = (0.25 * 0.75 / 400).squareRoot()
        #expect(abs(try #require(m.stderr) - binomial) < 0.15 * binomial)
    }

    @Test func missingScoresAreLeftOutNotZero() throws {
        var task = try EvalTask.resolve("nq_open", directories: [EvalPaths.tasks])
        task.filters = nil
        var records: [ItemRecord] = []
        for i in 0..<4 {
            var r = ItemRecord(PreparedItem(index: i, doc: Document(fields: [:], source: "x"), prompt: ""))
            if i < 2 { r.metrics["exact_match,none"] = 1 }
            records.append(r)
        }
        let m = try #require(Aggregator(task: task, iterations: 100, seed: 1).result(records: records, model: "m").metrics["exact_match,none"])
        #expect(m.value == 1)
        #expect(m.n == 2)
        #expect(m.missing == 2)
    }

    @Test func bleuAggregatesAsSacrebleuCorpusBLEU() async throws {
        // A task scored by bleu: the aggregate is corpus BLEU over the items (BLEU.corpus, pinned to sacrebleu).
        let dir = try EvalPaths.temporary()
        let rows = [("the cat sat on the mat", "the cat sat on a mat"), ("a quick brown fox", "the quick brown fox jumps"),
                    ("hello world", "goodbye world"), ("numbers 1 2 3", "numbers 1 2 3 4")]
        let lines = rows.map { "{\"q\": \"\($0.0)\", \"a\": \"\($0.1)\"}" }.joined(separator: "\n")
        try EvalPaths.write(lines, dir, "data.jsonl")
        try EvalPaths.write("task: echo\nversion: 1\ndataset: {format: jsonl, path: \(dir)/data.jsonl}\noutput_type: generate_until\ndoc_to_text: '{{q}}'\ndoc_to_target: '{{a}}'\nmetric_list: [{metric: bleu}]\n", dir, "echo.yaml")
        let task = try EvalTask.load(path: dir + "/echo.yaml")
        let model = ScriptedEvalModel { $0.prompt }          // answers with its prompt
        var o = EvalOptions()
        o.bootstrapIterations = 10
        let result = try await Evaluator(model: model, cache: try ItemCache(path: nil), options: o).run(task)
        let corpus = BLEU.corpus(rows.map(\.0), [rows.map(\.1)]).score
        #expect(abs((result.metrics["bleu,none"]?.value ?? -1) - corpus) < 1e-12)
        #expect(abs((result.samples[0].metrics["bleu,none"] ?? -1) - BLEU.sentence(rows[0].0, [rows[0].1]).score) < 1e-12)
    }
}
