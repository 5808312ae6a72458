// Errors of metrics: an unknown name, a bad option of a metric_list entry, an item that cannot be scored.
import Foundation

/// A metric error, naming the metric and the option and what to do.
public enum MetricError: LocalizedError, Equatable {
    /// No metric is registered under this name.
    case unknownMetric(String, known: [String])
    /// An option of a metric_list entry is invalid.
    case invalidOption(metric: String, option: String, problem: String)
    /// One item cannot be scored (it is left out of the aggregate and its record says why).
    case unscorable(String)

    /// The option of the metric_list entry at fault (`metric` for an unknown name).
    public var option: String {
        switch self {
        case .unknownMetric, .unscorable: "metric"
        case .invalidOption(_, let option, _): option
        }
    }

    /// What is wrong, without the metric's name.
    public var problem: String {
        switch self {
        case .unknownMetric(let name, let known): "unknown metric '\(name)'; known: \(known.joined(separator: ", "))"
        case .invalidOption(_, _, let problem): problem
        case .unscorable(let why): why
        }
    }

    public var errorDescription: String? {
        switch self {
        case .unknownMetric: problem
        case .invalidOption(let metric, let option, let problem): "\(metric): \(option) \(problem)"
        case .unscorable(let why): why
        }
    }
}
