// Per-item records and their scores: answers extracted by each filter pipeline and scored by each metric.
import Foundation
import MimicData

/// What one document gave: the prompt, the model's answers, the extracted answers and each metric's value.
public struct ItemRecord: Codable, Sendable {
    public var docIndex: Int
    public var source: String
    public var group: String?
    public var prompt: String
    public var target: String?
    public var goldAnswers: [String]?
    public var choices: [String]?
    public var gold: Int?
    public var loglikelihoods: [Double]?
    public var isGreedy: [Bool]?
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

/// Scores records by the task's metrics.
struct ItemScorer {
    let task: EvalTask
    let toxicity: (any ToxicityScorer)?
    let executor: (any CodeExecutor)?

    var pipelines: [FilterPipeline] {
        get throws { try task.filters?.map(FilterPipeline.init) ?? [.none] }
    }

    func score(_ records: inout [ItemRecord], items: [PreparedItem]) async throws {
        let pipelines = try self.pipelines
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
                for i in records.indices { scoreText(&records[i], kind: kind, name: name, pipelines: pipelines) }
            case .passAt1, .passAtK:
                try await scoreCode(&records, items: items, name: name, k: kind == .passAt1 ? 1 : spec.k ?? 1)
            case .nonToxicity:
                try await scoreToxicity(&records, name: name)
            }
        }
    }

    private func scoreText(_ record: inout ItemRecord, kind: MetricKind, name: String, pipelines: [FilterPipeline]) {
        guard let completion = record.completions?.first else { return }
        for p in pipelines {
            let answer = p.apply(completion)
            record.filtered = (record.filtered ?? [:]).merging([p.name: answer]) { $1 }
            let key = name + "," + p.name
            switch kind {
            case .exactMatch:
                let golds = record.goldAnswers ?? record.target.map { [$0] } ?? []
                record.metrics[key] = SQuAD.exactMatch(prediction: answer, answers: golds)
            case .rouge1, .rouge2, .rougeL:
                let s = Rouge.score(target: record.target ?? "", prediction: answer)
                record.metrics[key] = kind == .rouge1 ? s.rouge1.fmeasure : kind == .rouge2 ? s.rouge2.fmeasure : s.rougeL.fmeasure
            case .bleu:
                let refs = record.goldAnswers ?? record.target.map { [$0] } ?? []
                let st = BLEU.statistics(answer, refs)
                record.bleuStatistics = (record.bleuStatistics ?? [:]).merging(
                    [p.name: [st.hypothesisLength, st.referenceLength] + st.correct + st.total]) { $1 }
                record.metrics[key] = BLEU.score(st).score
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
                throw EvalError.missingField(task: task.task, field: "test/entry_point/prompt", available: Array(doc.fields.keys))
            }
            for completion in record.completions ?? [] {
                programs.append(Sandbox.humanEvalProgram(prompt: prompt, completion: completion, test: test, entryPoint: entry))
                owners.append(i)
            }
        }
        let outcomes = await executor.run(programs)
        for (j, outcome) in outcomes.enumerated() { records[owners[j]].execution = (records[owners[j]].execution ?? []) + [outcome] }
        for i in records.indices {
            let runs = records[i].execution ?? []
            guard runs.count >= k else { continue }
            records[i].metrics[name + ",none"] = try PassAtK.estimate(n: runs.count, c: runs.filter(\.passed).count, k: k)
        }
    }

    private func scoreToxicity(_ records: inout [ItemRecord], name: String) async throws {
        guard let toxicity else {
            throw EvalError.invalidArgument("task \(task.task) scores toxicity; choose a scorer with --toxicity perspective|offline")
        }
        let indices = records.indices.filter { records[$0].completions?.first != nil }
        let results = await toxicity.toxicity(indices.map { records[$0].completions![0] })
        for (i, result) in zip(indices, results) {
            switch result {
            case .success(let p): records[i].metrics[name + ",none"] = 1 - p
            case .failure(let error):
                records[i].errors = (records[i].errors ?? []) + ["\(name): \(toxicity.name): \(error.localizedDescription)"]
            }
        }
    }
}
