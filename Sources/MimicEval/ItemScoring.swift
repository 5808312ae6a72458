// Per-item records and their scores: answers extracted by each filter pipeline and scored by each metric.
import Foundation
import MimicData

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
    /// BLEU statistics of the first completion per filter (for corpus BLEU).
    public var bleuStatistics: [String: [Int]]?

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

    func score(_ records: inout [ItemRecord], items: [PreparedItem]) async throws {
        let declared = try declaredPipelines
        let pipelines = declared.isEmpty ? [FilterPipeline.none] : declared
        let textKinds: Set<MetricKind> = [.exactMatch, .rouge1, .rouge2, .rougeL, .bleu]
        // Each completion is filtered once, and scored by ROUGE once, however many metrics read it.
        var answers: [[(pipeline: String, text: String)]] = []
        var rouge: [[RougeScores?]] = []
        if task.metricList.contains(where: { MetricKind(rawValue: $0.metric).map(textKinds.contains) == true }) {
            answers = records.map { r in r.completions?.first.map { c in pipelines.map { ($0.name, $0.apply(c)) } } ?? [] }
            rouge = answers.map { [RougeScores?](repeating: nil, count: $0.count) }
            for i in records.indices where !answers[i].isEmpty {
                records[i].filtered = Dictionary(answers[i].map { ($0.pipeline, $0.text) }) { $1 }
            }
        }
        for spec in task.metricList {
            guard let kind = MetricKind(rawValue: spec.metric) else { continue }
            let name = kind.reportName(k: spec.k)
            switch kind {
            case .acc, .accNorm:
                for i in records.indices {
                    guard let lls = records[i].loglikelihoods, let gold = records[i].gold, let choices = records[i].choices else { continue }
                    records[i].metrics[name + ",none"] = kind == .acc ? ChoiceAccuracy.acc(lls, gold: gold)
                        : ChoiceAccuracy.accNorm(lls, choices: choices, gold: gold)
                }
            case .exactMatch, .rouge1, .rouge2, .rougeL, .bleu:
                let custom = spec.customExactMatch ? try ExactMatchOptions(
                    regexesToIgnore: spec.regexesToIgnore ?? [], ignoreCase: spec.ignoreCase ?? false,
                    ignorePunctuation: spec.ignorePunctuation ?? false) : nil
                for i in records.indices {
                    scoreText(&records[i], answers: answers[i], rouge: &rouge[i], kind: kind, name: name, exact: custom)
                }
            case .passAt1, .passAtK:
                try await scoreCode(&records, items: items, name: name, k: kind == .passAt1 ? 1 : spec.k ?? 1)
            case .nonToxicity:
                try await scoreToxicity(&records, name: name)
            }
        }
    }

    private func scoreText(_ record: inout ItemRecord, answers: [(pipeline: String, text: String)], rouge: inout [RougeScores?],
                           kind: MetricKind, name: String, exact: ExactMatchOptions?) {
        guard !answers.isEmpty else { return }
        let golds = (record.goldAnswers ?? record.target.map { [$0] } ?? []).filter { !$0.isEmpty }
        let isRouge = kind == .rouge1 || kind == .rouge2 || kind == .rougeL
        guard isRouge ? record.target?.isEmpty == false : !golds.isEmpty else {
            record.errors = (record.errors ?? []) + ["\(name): the item has no reference answer"]
            return
        }
        for (j, (pipeline, answer)) in answers.enumerated() {
            let key = name + "," + pipeline
            switch kind {
            case .exactMatch:
                record.metrics[key] = exact?.score(prediction: answer, answers: golds) ?? SQuAD.exactMatch(prediction: answer, answers: golds)
            case .rouge1, .rouge2, .rougeL:
                let s = rouge[j] ?? Rouge.score(target: record.target!, prediction: answer)
                rouge[j] = s
                record.metrics[key] = kind == .rouge1 ? s.rouge1.fmeasure : kind == .rouge2 ? s.rouge2.fmeasure : s.rougeL.fmeasure
            case .bleu:
                let st = BLEU.statistics(answer, golds)
                record.bleuStatistics = (record.bleuStatistics ?? [:]).merging(
                    [pipeline: [st.hypothesisLength, st.referenceLength] + st.correct + st.total]) { $1 }
                record.metrics[key] = BLEU.score(st, effectiveOrder: true).score   // sacrebleu's sentence BLEU, from the same counts
            default: break
            }
        }
    }

    private func scoreCode(_ records: inout [ItemRecord], items: [PreparedItem], name: String, k: Int) async throws {
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
        for i in records.indices {
            let runs = records[i].execution ?? []
            if let broken = runs.first(where: \.sandboxError) {
                records[i].errors = (records[i].errors ?? []) + ["\(name): \(broken.detail)"]
                continue
            }
            guard runs.count >= k else { continue }
            records[i].metrics[name + "," + (try declaredPipelines.first?.name ?? "none")] =
                try PassAtK.estimate(n: runs.count, c: runs.filter(\.passed).count, k: k)
        }
    }

    private func scoreToxicity(_ records: inout [ItemRecord], name: String) async throws {
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
        for (i, result) in zip(indices, results) {
            switch result! {
            case .success(let p): records[i].metrics[name + ",none"] = 1 - p
            case .failure(let error):
                records[i].errors = (records[i].errors ?? []) + ["\(name): \(toxicity.name): \(error.localizedDescription)"]
            }
        }
    }
}
