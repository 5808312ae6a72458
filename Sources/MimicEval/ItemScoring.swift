// Per-item records and their scores: answers extracted by each filter pipeline and scored by each metric.
import Foundation
import MimicCore
import MimicData
import MimicMetrics

/// What one document gave: the prompt, the model's answers, the extracted answers and each metric's value.
public struct ItemRecord: Codable, Sendable {
    /// The document's position in the whole dataset.
    public var docIndex: Int
    /// Where the document is (file:line).
    public var source: String
    /// Its group_by value.
    public var group: String?
    /// The prompt the model was given (before any chat template).
    public var prompt: String
    /// The reference answer (doc_to_target).
    public var target: String?
    /// The accepted answers (exact_match).
    public var goldAnswers: [String]?
    /// multiple_choice: the choices, the right one's index, each choice's log-likelihood and whether it was greedy.
    public var choices: [String]?
    public var gold: Int?
    public var loglikelihoods: [Double]?
    public var isGreedy: [Bool]?
    /// The model's completions (one per sample).
    public var completions: [String]?
    /// The first completion after each filter pipeline.
    public var filtered: [String: String]?
    /// Metric values by "metric,filter".
    public var metrics: [String: Double] = [:]
    /// Sandbox outcomes of each sample (code tasks).
    public var execution: [CodeOutcome]?
    /// Why a metric could not be computed for this item (it is left out of that metric, never scored 0).
    public var errors: [String]?
    /// Statistics of corpus-level metrics by "metric,filter" (bleu: the counts corpus BLEU sums).
    public var statistics: [String: [Double]]?

    init(_ item: PreparedItem) {
        docIndex = item.index
        source = item.doc.source
        group = item.group
        prompt = item.prompt
        target = item.target
        goldAnswers = item.goldAnswers
        choices = item.choices
        gold = item.gold
    }
}

/// Scores records by the task's metrics; sandbox outcomes and toxicity scores are cached like model answers.
struct ItemScorer {
    let task: EvalTask
    let toxicity: (any ToxicityScorer)?
    let executor: (any CodeExecutor)?
    let cache: ItemCache
    /// Reports scoring that takes long (the sandbox, a rate-limited toxicity API), as the task "TASK:what".
    var progress: @Sendable (EvalProgress) -> Void = { _ in }

    /// Runs `work` over `missing` (indices of inputs not yet cached), `chunk` at a time, reporting progress; `work`
    /// stores each chunk's results in the cache before the next runs, so an interruption keeps them.
    func inChunks(_ what: String, total: Int, missing: [Int], chunk: Int, _ work: ([Int]) async throws -> Void) async throws {
        let label = task.task + " " + what, cached = total - missing.count
        progress(EvalProgress(task: label, done: cached, total: total, cached: cached))
        var start = 0
        while start < missing.count {
            try Task.checkCancellation()
            let part = Array(missing[start..<min(start + chunk, missing.count)])
            try await work(part)
            start += part.count
            progress(EvalProgress(task: label, done: cached + start, total: total, cached: cached))
        }
    }

    func key(_ scorer: String, _ input: String) -> String {
        ItemCache.key(model: scorer, task: task.task, version: task.version, request: input)
    }

    /// The filter pipelines the task declares (none: the raw completion).
    var declaredPipelines: [FilterPipeline] {
        get throws { try task.filters?.map(FilterPipeline.init) ?? [] }
    }

    /// Scores every record by every metric of the task: first what the metrics read from outside the text (sandbox
    /// outcomes, toxicity), then each record, metric by metric in `metric_list` order.
    func score(_ records: inout [ItemRecord], items: [PreparedItem]) async throws {
        let metrics = try task.metrics()
        let inputs = Set(metrics.map(\.input))
        let declared = try declaredPipelines
        let pipelines = declared.isEmpty ? [FilterPipeline.none] : declared
        // Each completion is filtered once, and each answer becomes one MetricItem that every metric reads (ROUGE
        // compares it once however many ROUGE metrics there are).
        var answers = [[(pipeline: String, text: String)]](repeating: [], count: records.count)
        if inputs.contains(.answer) {
            answers = records.map { r in r.completions?.first.map { c in pipelines.map { ($0.name, $0.apply(c)) } } ?? [] }
            for i in records.indices where !answers[i].isEmpty {
                records[i].filtered = Dictionary(answers[i].map { ($0.pipeline, $0.text) }) { $1 }
            }
        }
        if inputs.contains(.codeOutcomes) { try await runCode(&records, items: items) }
        let toxicities: [Int: Result<Double, Error>] = inputs.contains(.toxicity) ? try await scoreToxicity(records) : [:]
        let codeFilter = try declaredPipelines.first?.name ?? "none"
        for i in records.indices {
            let references = (records[i].goldAnswers ?? records[i].target.map { [$0] } ?? []).filter { !$0.isEmpty }
            let answerItems = answers[i].map { MetricItem(answer: $0.text, references: references, target: records[i].target) }
            for metric in metrics {
                switch metric.input {
                case .answer:
                    for (item, answer) in zip(answerItems, answers[i]) {
                        guard apply(metric, item, to: &records[i], key: metric.reportName + "," + answer.pipeline) else { break }
                    }
                case .choiceLogLikelihoods:
                    let item = MetricItem(choices: records[i].choices, gold: records[i].gold, logLikelihoods: records[i].loglikelihoods)
                    apply(metric, item, to: &records[i], key: metric.reportName + ",none")
                case .codeOutcomes:
                    let runs = records[i].execution ?? []
                    if let broken = runs.first(where: \.sandboxError) {
                        records[i].errors = (records[i].errors ?? []) + ["\(metric.reportName): \(broken.detail)"]
                        continue
                    }
                    apply(metric, MetricItem(samplesPassed: runs.map(\.passed)), to: &records[i], key: metric.reportName + "," + codeFilter)
                case .toxicity:
                    switch toxicities[i] {
                    case .success(let p)?: apply(metric, MetricItem(toxicity: p), to: &records[i], key: metric.reportName + ",none")
                    case .failure(let error)?:
                        records[i].errors = (records[i].errors ?? []) + ["\(metric.reportName): \(toxicity?.name ?? "toxicity"): \(error.localizedDescription)"]
                    case nil: break
                    }
                case .judgeLabel:
                    records[i].errors = (records[i].errors ?? []) + ["\(metric.reportName): a judge's label; `mimic style --judge` computes it"]
                }
            }
        }
    }

    /// Scores `item` by `metric` into the record under `key`; an item the metric cannot score gets its reason in
    /// the record's errors and false (so it is not tried under the other filters).
    @discardableResult
    private func apply(_ metric: any Metric, _ item: MetricItem, to record: inout ItemRecord, key: String) -> Bool {
        do {
            guard let s = try metric.score(item) else { return true }
            record.metrics[key] = s.value
            if let statistics = s.statistics { record.statistics = (record.statistics ?? [:]).merging([key: statistics]) { $1 } }
            return true
        } catch let error as MetricError {
            record.errors = (record.errors ?? []) + ["\(metric.reportName): \(error.problem)"]
            return false
        } catch {
            record.errors = (record.errors ?? []) + ["\(metric.reportName): \(error.localizedDescription)"]
            return false
        }
    }

    /// Runs every sample of every record not yet run (from the cache when it holds the outcome) into `execution`.
    private func runCode(_ records: inout [ItemRecord], items: [PreparedItem]) async throws {
        guard let executor else { throw EvalError.codeExecutionNotAllowed(task: task.task) }
        var programs: [String] = [], owners: [Int] = []
        for (i, record) in records.enumerated() where record.execution == nil {
            let doc = items[i].doc
            guard let test = doc.text("test"), let entry = doc.text("entry_point"), let prompt = doc.text("prompt") else {
                throw EvalError.missingField(task: task.task, field: "test/entry_point/prompt", document: doc.source, available: Array(doc.fields.keys))
            }
            for completion in record.completions ?? [] {
                // A task's first filter extracts the code (a chat model's fenced block); without filters, as written.
                let code = try declaredPipelines.first?.apply(completion) ?? completion
                programs.append(Sandbox.humanEvalProgram(prompt: prompt, completion: code, test: test, entryPoint: entry))
                owners.append(i)
            }
        }
        let keys = programs.map { key("sandbox", $0) }
        var outcomes: [CodeOutcome?] = keys.map { if case .execution(let o)? = cache.answer($0) { o } else { nil } }
        let missing = outcomes.indices.filter { outcomes[$0] == nil }
        var ran: [CodeOutcome] = []
        try await inChunks("sandbox", total: programs.count, missing: missing, chunk: 32) { part in
            let got = await executor.run(part.map { programs[$0] })
            for (j, outcome) in zip(part, got) { outcomes[j] = outcome }
            try cache.store(zip(part, got).filter { !$0.1.sandboxError }.map { (keys[$0.0], .execution($0.1)) })
            ran += got
        }
        if let first = ran.first(where: \.sandboxError), ran.allSatisfy(\.sandboxError) {
            throw EvalError.unsupported(model: "sandbox", problem: "no program could be run (\(first.detail)); nothing was scored")
        }
        for (j, outcome) in outcomes.enumerated() {
            records[owners[j]].execution = (records[owners[j]].execution ?? []) + [outcome!]
        }
    }

    /// The toxicity of each record's first completion (by record index; records without one are absent), from the
    /// cache or the scorer.
    private func scoreToxicity(_ records: [ItemRecord]) async throws -> [Int: Result<Double, Error>] {
        guard let toxicity else {
            throw EvalError.invalidArgument("task \(task.task) scores toxicity; choose a scorer with --toxicity perspective|offline")
        }
        let indices = records.indices.filter { records[$0].completions?.first != nil }
        let texts = indices.map { records[$0].completions![0] }
        let keys = texts.map { key("toxicity:" + toxicity.name, $0) }
        var results: [Result<Double, Error>?] = keys.map { if case .toxicity(let p)? = cache.answer($0) { .success(p) } else { nil } }
        let missing = results.indices.filter { results[$0] == nil }
        var scored: [Result<Double, Error>] = []
        try await inChunks("toxicity", total: texts.count, missing: missing, chunk: 16) { part in
            let got = await toxicity.toxicity(part.map { texts[$0] })
            for (j, r) in zip(part, got) { results[j] = r }
            try cache.store(zip(part, got).compactMap { j, r in (try? r.get()).map { (keys[j], .toxicity($0)) } })
            scored += got
        }
        if !scored.isEmpty, scored.allSatisfy({ (try? $0.get()) == nil }), case .failure(let error) = scored[0] {
            throw EvalError.requestFailed(model: toxicity.name, problem: "no text could be scored: \(error.localizedDescription)")
        }
        return Dictionary(uniqueKeysWithValues: zip(indices, results.map { $0! }))
    }
}
