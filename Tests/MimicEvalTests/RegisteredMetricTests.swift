// A metric defined in this file and registered with one line is named by a task and scored and aggregated by an
// evaluation exactly as Mimic's own metrics are.
import Foundation
@testable import MimicEval
import MimicMetrics
import Testing

/// The test metric: an answer's length in words, aggregated as the longest (a custom aggregate, not the mean).
struct AnswerWordsMetric: Metric {
    var reportName: String { "answer_words" }
    var input: MetricInput { .answer }

    func score(_ item: MetricItem) throws -> MetricItemScore? {
        item.answer.map { MetricItemScore(value: Double($0.split(separator: " ").count)) }
    }

    func aggregate(_ scores: [MetricItemScore]) -> Double? { scores.map(\.value).max() }
}

@Suite struct RegisteredMetricTests {
    @Test func aMetricRegisteredByNameScoresATask() async throws {
        MetricRegistry.shared.register("answer_words") { _ in AnswerWordsMetric() }   // the registration line
        let dir = try EvalPaths.temporary()
        let rows = [("one", "one"), ("three words here", "three words"), ("two words", "two words")]
        try EvalPaths.write(rows.map { "{\"q\": \"\($0.0)\", \"a\": \"\($0.1)\"}" }.joined(separator: "\n"), dir, "data.jsonl")
        try EvalPaths.write("""
            task: words
            version: 1
            dataset: {format: jsonl, path: \(dir)/data.jsonl}
            output_type: generate_until
            doc_to_text: '{{q}}'
            doc_to_target: '{{a}}'
            filters: [{name: first-word, steps: [{function: regex, pattern: '([a-z]+)'}]}, {name: all, steps: [{function: strip}]}]
            metric_list: [{metric: answer_words}, {metric: exact_match}]

            """, dir, "words.yaml")
        let task = try EvalTask.load(path: dir + "/words.yaml")
        var o = EvalOptions()
        o.bootstrapIterations = 20
        let result = try await Evaluator(model: ScriptedEvalModel(answer: { $0.prompt }), cache: try ItemCache(path: nil), options: o).run(task)
        // Scored per filter pipeline (its input is the answer), aggregated by its own aggregate.
        #expect(result.samples.map { $0.metrics["answer_words,all"] } == [1, 3, 2])
        #expect(result.samples.map { $0.metrics["answer_words,first-word"] } == [1, 1, 1])
        #expect(result.metrics["answer_words,all"]?.value == 3)
        #expect(result.metrics["answer_words,all"]?.n == 3)
        #expect(result.metrics["answer_words,first-word"]?.value == 1)
        #expect(result.metrics["exact_match,all"]?.value == 2.0 / 3)
    }

    @Test func anUnregisteredNameIsAnErrorNamingTheFileAndField() throws {
        let dir = try EvalPaths.temporary()
        let path = try EvalPaths.write("task: a\nversion: 1\ndataset: {format: jsonl, path: x}\noutput_type: generate_until\ndoc_to_text: q\nmetric_list: [{metric: exact_match, k: 1}, {metric: not_registered}]\ndoc_to_target: a\n", dir, "a.yaml")
        #expect {
            try EvalTask.load(path: path)
        } throws: { error in
            let text = (error as? EvalError)?.errorDescription ?? ""
            return text.hasPrefix(path) && text.contains("'metric_list[1].metric'") && text.contains("unknown metric 'not_registered'")
        }
    }
}
