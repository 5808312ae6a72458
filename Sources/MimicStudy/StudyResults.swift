// A study's results in one file (`STUDY/results.json`): for every model, its imitation data, its benchmarks, its
// judged preference against the teacher and its style figures, read from the finished stages' own outputs. Only
// results go in (no times or dates), so an interrupted study and an uninterrupted one write the same bytes.
import Foundation
import MimicCore
import MimicEval
import MimicMetrics
import MimicRate
import MimicStages

/// Everything the report draws.
public struct StudyResults: Codable, Sendable {
    /// The study's name.
    public var study: String
    /// The teacher.
    public var teacher: String
    /// Every model, in the plan's order.
    public var models: [ModelResults]
    /// Each data kind's figures, in the manifest's order.
    public var data: [DataKindResults] = []
    /// Stages finished out of all.
    public var finished: Int
    public var stages: Int
}

/// A data kind's figures: the diversity of its curated queries (absent until its stage has finished or when the
/// manifest turns it off).
public struct DataKindResults: Codable, Sendable {
    public var kind: String
    public var diversity: DataDiversityFigures?
}

/// The self-BLEU diversity of a set of queries (`DataDiversitySummary` without its file, times and threads).
public struct DataDiversityFigures: Codable, Sendable, Hashable {
    /// Queries scored.
    public var queries: Int
    /// The mean of each query's best sentence BLEU against another query: the diversity figure (lower is more diverse).
    public var meanSelfBleu: Double
    public var medianSelfBleu: Double
    /// Queries whose best score is above 20.
    public var queriesAbove20: Int

    enum CodingKeys: String, CodingKey {
        case queries, meanSelfBleu = "mean_self_bleu", medianSelfBleu = "median_self_bleu", queriesAbove20 = "queries_above_20"
    }

    public init(_ summary: DataDiversitySummary) {
        queries = summary.queries
        meanSelfBleu = summary.meanSelfBleu
        medianSelfBleu = summary.medianSelfBleu
        queriesAbove20 = summary.queriesAbove20
    }
}

/// One model's results; a figure is absent when its stage has not finished.
public struct ModelResults: Codable, Sendable {
    public var model: StudyModel
    /// The imitation data the model was trained on: records and tokens.
    public var records: Int?
    public var tokens: Int?
    /// The held-out loss at the end of training.
    public var finalEvalLoss: Double?
    /// Task → metric → value.
    public var benchmarks: [String: [String: MetricValue]] = [:]
    /// The judge's verdicts against the teacher.
    public var judge: PairwiseSummary?
    /// Table 2's style figures against the teacher.
    public var style: StyleFigures?
    /// People's ratings against the teacher (the rating study's votes, when it has any).
    public var people: RatingPairFigures?
}

extension StudyResults {
    /// Reads what the finished stages of `plan` hold.
    static func collect(_ plan: StudyPlan) async throws -> StudyResults {
        func done(_ id: String?) -> StageDone? { id.flatMap(plan.stage).flatMap(StudyStore.done) }
        func fact<T: Decodable>(_ type: T.Type, _ value: JSONValue?) throws -> T? {
            try value.map { try JSONDecoder().decode(T.self, from: JSONEncoder().encode($0)) }
        }
        // The rating study's figures by the answers file rated (its system A), once it has votes.
        var people: [String: RatingPairFigures] = [:]
        if let rating = plan.stages.first(where: { $0.id == "rating" }), StudyStore.done(rating) != nil {
            let snapshot = try await RatingStudy.snapshot(rating.output)
            if !snapshot.votes.isEmpty {
                let report = RatingReporting.report(snapshot, judgments: nil, resamples: 1000, seed: snapshot.settings.seed)
                for pair in report.pairs where pair.items > 0 { people[pair.a] = pair }
            }
        }
        var models: [ModelResults] = []
        for model in plan.models {
            var r = ModelResults(model: model)
            let stages = plan.modelStages[model.id] ?? .init()
            if model.role == "imitation", let student = model.student, let data = model.data, let amount = model.amount {
                if let subset = done("subset/\(data)/\(amount)") {
                    r.records = subset.facts["records"]?.intValue
                    r.tokens = subset.facts["tokens"]?.intValue
                }
                if case .double(let loss)? = done("train/\(student)/\(data)/\(amount)")?.facts["final_eval_loss"] { r.finalEvalLoss = loss }
            }
            for (task, id) in stages.evals {
                if let metrics = try fact([String: MetricValue].self, done(id)?.facts["metrics"]) { r.benchmarks[task] = metrics }
            }
            r.judge = try fact(PairwiseSummary.self, done(stages.judge)?.facts["summary"])
            r.style = try fact(StyleFigures.self, done(stages.style)?.facts["figures"])
            r.people = stages.answers.flatMap(plan.stage).flatMap { people[$0.output] }
            models.append(r)
        }
        let data = try plan.file.manifest.data.map {
            DataKindResults(kind: $0.name, diversity: try fact(DataDiversityFigures.self, done("diversity/" + $0.name)?.facts["figures"]))
        }
        return StudyResults(study: plan.file.manifest.name, teacher: plan.file.manifest.teacher.description, models: models, data: data,
                            finished: plan.stages.filter { StudyStore.done($0) != nil }.count, stages: plan.stages.count)
    }
}
