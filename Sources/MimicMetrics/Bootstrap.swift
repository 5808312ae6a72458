// The bootstrap of a statistic over items, resampled with replacement by the caller's seeded draws: its standard
// error, and its percentile interval.
import Foundation
import MimicCore

/// Bootstrap standard errors and percentile intervals.
public enum Bootstrap {
    /// The statistic of each of `iterations` resamples (with replacement) of `indices`, in order: resample r is
    /// `indices.count` positions, each drawn by `draw(n)`, a uniform integer in `0..<n` from the caller's seeded
    /// generator; resamples whose statistic is nil are skipped. Empty for no indices.
    public static func resampledStatistics(_ indices: [Int], iterations: Int, draw: (Int) -> Int,
                                           statistic: ([Int]) -> Double?) -> [Double] {
        guard !indices.isEmpty else { return [] }
        var values: [Double] = []
        values.reserveCapacity(max(iterations, 0))
        for _ in 0..<max(iterations, 0) {
            let sample = (0..<indices.count).map { _ in indices[draw(indices.count)] }
            if let v = statistic(sample) { values.append(v) }
        }
        return values
    }

    /// The sample standard deviation of `statistic` over `iterations` resamples (`resampledStatistics`); nil when
    /// fewer than two values remain.
    public static func standardError(_ indices: [Int], iterations: Int, draw: (Int) -> Int,
                                     statistic: ([Int]) -> Double?) -> Double? {
        let values = resampledStatistics(indices, iterations: iterations, draw: draw, statistic: statistic)
        guard values.count > 1 else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
    }

    /// The percentile interval at `level` (0.95: the 2.5th and 97.5th percentiles, `percentile`) of `statistic` over
    /// `iterations` resamples (`resampledStatistics`); nil when fewer than two values remain.
    public static func percentileInterval(_ indices: [Int], iterations: Int, level: Double = 0.95, draw: (Int) -> Int,
                                          statistic: ([Int]) -> Double?) -> (lower: Double, upper: Double)? {
        precondition(level > 0 && level < 1, "level is a fraction in (0, 1)")
        return interval(resampledStatistics(indices, iterations: iterations, draw: draw, statistic: statistic), level: level)
    }

    /// The `level` percentile interval of resampled statistics (sorted here); nil for fewer than two.
    static func interval(_ values: [Double], level: Double) -> (lower: Double, upper: Double)? {
        guard values.count > 1 else { return nil }
        let sorted = values.sorted(), tail = (1 - level) / 2
        return (percentile(sorted, tail), percentile(sorted, 1 - tail))
    }

    /// The `q` quantile (`q` in [0, 1]) of ascending `sorted` values, interpolated linearly between the two nearest
    /// ranks as numpy's `percentile` does by default: position `q · (count − 1)`.
    public static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        precondition(!sorted.isEmpty && q >= 0 && q <= 1, "percentile needs values and q in [0, 1]")
        let position = q * Double(sorted.count - 1)
        let below = Int(position.rounded(.down)), above = min(below + 1, sorted.count - 1)
        let fraction = position - Double(below)
        return sorted[below] + (sorted[above] - sorted[below]) * fraction
    }
}

extension Bootstrap {
    /// `percentileInterval` of the mean of `values` with draws `{ rng.below($0) }` from `SplitMix64(seed: seed)`: the
    /// same draws, so the same interval, without building each resample (what a win rate over many thousand items
    /// needs). The resamples are shared out over the cores: part c starts at the draw it would reach if no earlier
    /// draw were rejected (`SplitMix64.skip`); if one was (about once in 2^64 / n draws), the parts after it are
    /// drawn again in order, so the result never depends on the cores.
    public static func percentileIntervalOfMean(_ values: [Double], iterations: Int, level: Double = 0.95,
                                                seed: UInt64, parts: Int? = nil) -> (lower: Double, upper: Double)? {
        precondition(level > 0 && level < 1, "level is a fraction in (0, 1)")
        guard !values.isEmpty, iterations > 0 else { return nil }
        let n = values.count
        let bound = SplitMix64.Bound(n)
        let count = max(1, min(parts ?? ProcessInfo.processInfo.activeProcessorCount, iterations))
        let start = { (part: Int) in part * iterations / count }
        // Resamples `from..<to` from `rng`: their means, the draws thrown away, and the generator after them.
        let run = { (from: Int, to: Int, rng: SplitMix64) -> (means: [Double], rejected: Int, end: SplitMix64) in
            var rng = rng, rejected = 0
            let means = values.withUnsafeBufferPointer { v in
                (from..<to).map { _ in
                    var sum = 0.0
                    for _ in 0..<n { sum += v[rng.below(bound, rejections: &rejected)] }
                    return sum / Double(n)
                }
            }
            return (means, rejected, rng)
        }
        var done = ParallelMap.run(count, threads: count, chunk: 1, state: {}) { part, _ in
            var rng = SplitMix64(seed: seed)
            rng.skip(UInt64(start(part)) &* UInt64(n))
            return run(start(part), start(part + 1), rng)
        }
        if let first = done.firstIndex(where: { $0.rejected > 0 }), first + 1 < count {
            for part in (first + 1)..<count { done[part] = run(start(part), start(part + 1), done[part - 1].end) }
        }
        let means = done.flatMap(\.means)
        return interval(means, level: level)
    }
}
