// The bootstrap standard error of a statistic over items, resampled with replacement by the caller's seeded draws.
import Foundation

/// Bootstrap standard errors.
public enum Bootstrap {
    /// The sample standard deviation of `statistic` over `iterations` resamples (with replacement) of `indices`,
    /// each position drawn by `draw(n)`, a uniform integer in `0..<n` from the caller's seeded generator; resamples
    /// whose statistic is nil are skipped; nil when fewer than two values remain.
    public static func standardError(_ indices: [Int], iterations: Int, draw: (Int) -> Int,
                                     statistic: ([Int]) -> Double?) -> Double? {
        guard !indices.isEmpty else { return nil }
        var values: [Double] = []
        values.reserveCapacity(iterations)
        for _ in 0..<iterations {
            let sample = (0..<indices.count).map { _ in indices[draw(indices.count)] }
            if let v = statistic(sample) { values.append(v) }
        }
        guard values.count > 1 else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
    }
}
