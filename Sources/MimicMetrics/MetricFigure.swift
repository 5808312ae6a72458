// A metric's figure over a set of items: its aggregate, how many items it scored, and a seeded bootstrap
// percentile interval over the items.
import Foundation
import MimicCore

/// A bootstrap percentile interval.
public struct BootstrapInterval: Codable, Sendable, Equatable {
    /// The lower end (the `(1 − level) / 2` quantile of the resampled statistics).
    public var lower: Double
    /// The upper end.
    public var upper: Double
    /// The coverage asked for (0.95).
    public var level: Double
    /// Resamples drawn (those whose statistic was undefined are not among the quantiles).
    public var resamples: Int

    /// An interval from its parts.
    public init(lower: Double, upper: Double, level: Double, resamples: Int) {
        self.lower = lower
        self.upper = upper
        self.level = level
        self.resamples = resamples
    }
}

/// One metric's result over some items: the aggregate of the items it scored, their count, and the interval.
public struct MetricFigure: Codable, Sendable, Equatable {
    /// The aggregate (nil when it is undefined: no item scored, or a correlation without variance).
    public var value: Double?
    /// Items the metric scored (the rest had nothing for it to score, such as a reference without a list).
    public var n: Int
    /// The seeded bootstrap percentile interval; nil with fewer than 2 scored items or no resamples asked.
    public var interval: BootstrapInterval?
    /// Why the value or the interval is missing, when one is.
    public var note: String?

    /// A figure from its parts.
    public init(value: Double?, n: Int, interval: BootstrapInterval? = nil, note: String? = nil) {
        self.value = value
        self.n = n
        self.interval = interval
        self.note = note
    }

    /// `metric` over `items`: each item scored (a thrown `MetricError` propagates), the scored ones aggregated, and
    /// the interval from `resamples` bootstrap resamples of all the items (`Bootstrap.percentileInterval`; a resample
    /// aggregates the items of it that were scored, and one whose aggregate is undefined is skipped). The draws come
    /// from `SplitMix64(seed: seed, stream: stream)`, resample after resample, item after item (`below(items.count)`).
    public static func compute(_ metric: any Metric, items: [MetricItem], resamples: Int, level: Double = 0.95,
                               seed: UInt64, stream: UInt64) throws -> MetricFigure {
        let scores = try items.map { try metric.score($0) }
        let scored = scores.compactMap { $0 }
        let value = metric.aggregate(scored)
        var interval: BootstrapInterval?
        var note: String?
        if scored.isEmpty {
            note = "no item to score"
        } else if value == nil {
            note = "undefined on these items"
        } else if scored.count < 2 {
            note = "no interval with fewer than 2 items"
        } else if resamples > 0 {
            var rng = SplitMix64(seed: seed, stream: stream)
            let bounds = Bootstrap.percentileInterval(Array(items.indices), iterations: resamples, level: level,
                                                      draw: { rng.below($0) }) { sample in
                let picked = sample.compactMap { scores[$0] }
                return picked.isEmpty ? nil : metric.aggregate(picked)
            }
            if let bounds {
                interval = BootstrapInterval(lower: bounds.lower, upper: bounds.upper, level: level, resamples: resamples)
            } else {
                note = "no interval: too few resamples had a defined value"
            }
        }
        return MetricFigure(value: value, n: scored.count, interval: interval, note: note)
    }
}
