// Aggregation of item scores: the mean (corpus BLEU for bleu), per group with micro and macro averages, and
// bootstrap standard errors from a seeded generator.
import Foundation
import MimicCore
import MimicData
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

/// Aggregates records.
struct Aggregator {
    let task: EvalTask
    let iterations: Int
    let seed: UInt64

    func result(records: [ItemRecord], model: String) -> TaskResult {
        let names = Set(records.flatMap { $0.metrics.keys }).union(expectedNames(records))
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

    /// Metric names every item should have had, so a metric no item could score still appears (with missing = n).
    func expectedNames(_ records: [ItemRecord]) -> [String] {
        let pipelines = task.filters?.map(\.name) ?? ["none"]
        return task.metricList.flatMap { spec -> [String] in
            guard let kind = MetricKind(rawValue: spec.metric) else { return [] }
            let name = kind.reportName(k: spec.k)
            switch kind {
            case .exactMatch, .rouge1, .rouge2, .rougeL, .bleu: return pipelines.map { name + "," + $0 }
            case .passAt1, .passAtK: return [name + "," + (task.filters?.first?.name ?? "none")]
            default: return [name + ",none"]
            }
        }
    }

    func aggregate(_ name: String, _ records: [ItemRecord], _ indices: [Int]) -> MetricValue {
        bootstrap(name: name, records, indices) { statistic(name, records, $0) }
    }

    /// The statistic over some items: corpus BLEU for bleu, else the mean of the items that have the metric.
    func statistic(_ name: String, _ records: [ItemRecord], _ indices: [Int]) -> Double? {
        if name.hasPrefix("bleu,") {
            let filter = String(name.dropFirst(5))
            var total = BLEUStatistics.zero, any = false
            for i in indices {
                guard let s = records[i].bleuStatistics?[filter], s.count == 10 else { continue }
                total = total + BLEUStatistics(hypothesisLength: s[0], referenceLength: s[1], correct: Array(s[2..<6]), total: Array(s[6..<10]))
                any = true
            }
            return any ? BLEU.score(total).score : nil
        }
        var sum = 0.0, n = 0
        for i in indices { if let v = records[i].metrics[name] { sum += v; n += 1 } }
        return n == 0 ? nil : sum / Double(n)
    }

    /// The statistic on `indices`, and its standard error over `iterations` resamples (with replacement).
    func bootstrap(name: String, _ records: [ItemRecord], _ indices: [Int], _ stat: ([Int]) -> Double?) -> MetricValue {
        let scored = indices.filter { records[$0].metrics[name] != nil }
        let value = stat(indices)
        var stderr: Double?
        if scored.count > 1, iterations > 1 {
            var rng = SplitMix64(seed: seed, stream: UInt64(truncatingIfNeeded: name.hashValueStable))
            var values: [Double] = []
            values.reserveCapacity(iterations)
            for _ in 0..<iterations {
                let sample = (0..<indices.count).map { _ in indices[rng.below(indices.count)] }
                if let v = stat(sample) { values.append(v) }
            }
            if values.count > 1 {
                let mean = values.reduce(0, +) / Double(values.count)
                stderr = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
            }
        }
        return MetricValue(value: value, stderr: stderr, n: scored.count, missing: indices.count - scored.count)
    }
}

extension String {
    /// FNV-1a of the UTF-8 bytes: a hash that is the same in every process (Swift's `hashValue` is seeded per run).
    var hashValueStable: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
