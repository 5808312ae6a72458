// Aggregation of item scores by each metric's own aggregate (the mean; corpus BLEU for bleu), per group with micro
// and macro averages, and bootstrap standard errors from a seeded generator.
import Foundation
import MimicCore
import MimicData
import MimicMetrics
import MimicTeacher

/// A metric's aggregate.
public struct MetricValue: Codable, Sendable, Equatable {
    /// The value (nil when no item could be scored).
    public var value: Double?
    /// Bootstrap standard error.
    public var stderr: Double?
    /// Items scored.
    public var n: Int
    /// Items left out because their score could not be computed (errors are in their records).
    public var missing: Int
}

/// One task's results.
public struct TaskResult: Codable, Sendable {
    public var task: String
    public var version: Int
    public var model: String
    /// Documents scored.
    public var n: Int
    /// "metric,filter" → aggregate over all items (the micro average when grouped).
    public var metrics: [String: MetricValue]
    /// Grouped tasks: the mean of the groups' values.
    public var macro: [String: MetricValue]?
    /// Grouped tasks: each group's aggregates.
    public var groups: [String: [String: MetricValue]]?
    /// The task as run (after include merging).
    public var config: EvalTask
    /// Every item's record.
    public var samples: [ItemRecord]
}

/// Aggregates records: each "metric,filter" by its metric's `aggregate` (the mean, corpus BLEU for bleu).
struct Aggregator {
    let task: EvalTask
    let iterations: Int
    let seed: UInt64
    /// The task's metrics by "metric,filter".
    let byKey: [String: any Metric]

    init(task: EvalTask, iterations: Int, seed: UInt64) {
        self.task = task
        self.iterations = iterations
        self.seed = seed
        // A task is validated when loaded, so its metrics resolve; a key without one is averaged.
        let resolved = (try? task.metrics()) ?? []
        byKey = Dictionary(resolved.flatMap { m in task.reportKeys(m).map { ($0, m) } }) { first, _ in first }
    }

    func result(records: [ItemRecord], model: String) -> TaskResult {
        let names = Set(records.flatMap { $0.metrics.keys }).union(byKey.keys)
        var metrics: [String: MetricValue] = [:], macro: [String: MetricValue]?, groups: [String: [String: MetricValue]]?
        for name in names {
            let all = Array(records.indices)
            metrics[name] = aggregate(name, records, all)
        }
        if task.groupBy != nil {
            let byGroup = Dictionary(grouping: records.indices) { records[$0].group ?? "(none)" }
            groups = byGroup.mapValues { idx in Dictionary(uniqueKeysWithValues: names.map { ($0, aggregate($0, records, idx)) }) }
            macro = Dictionary(uniqueKeysWithValues: names.map { name in
                (name, bootstrap(name: name, records, Array(records.indices)) { sample in
                    let per = Dictionary(grouping: sample) { records[$0].group ?? "(none)" }
                    // Groups in name order, so the sum (and its last bits) is the same in every process.
                    let means = per.keys.sorted().compactMap { statistic(name, records, per[$0]!) }
                    return means.isEmpty ? nil : means.reduce(0, +) / Double(means.count)
                })
            })
        }
        return TaskResult(task: task.task, version: task.version, model: model, n: records.count, metrics: metrics, macro: macro,
                          groups: groups, config: task, samples: records)
    }

    func aggregate(_ name: String, _ records: [ItemRecord], _ indices: [Int]) -> MetricValue {
        bootstrap(name: name, records, indices) { statistic(name, records, $0) }
    }

    /// The metric's aggregate over the items of `indices` that it scored.
    func statistic(_ name: String, _ records: [ItemRecord], _ indices: [Int]) -> Double? {
        var scores: [MetricItemScore] = []
        scores.reserveCapacity(indices.count)
        for i in indices {
            if let v = records[i].metrics[name] { scores.append(MetricItemScore(value: v, statistics: records[i].statistics?[name])) }
        }
        return byKey[name]?.aggregate(scores) ?? MetricItemScore.mean(scores)
    }

    /// The statistic on `indices`, and its standard error over `iterations` resamples (with replacement).
    func bootstrap(name: String, _ records: [ItemRecord], _ indices: [Int], _ stat: ([Int]) -> Double?) -> MetricValue {
        let scored = indices.filter { records[$0].metrics[name] != nil }
        var stderr: Double?
        if scored.count > 1, iterations > 1 {
            var rng = SplitMix64(seed: seed, stream: UInt64(truncatingIfNeeded: name.hashValueStable))
            stderr = Bootstrap.standardError(indices, iterations: iterations, draw: { rng.below($0) }, statistic: stat)
        }
        return MetricValue(value: stat(indices), stderr: stderr, n: scored.count, missing: indices.count - scored.count)
    }
}
