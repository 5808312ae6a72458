// The metrics by name: each name maps to a factory that builds the metric from its metric_list entry.
import Foundation

/// Metrics registered by name. `shared` holds Mimic's metrics (`registerStandard`); a program or a test adds its
/// own with one `register` line, and tasks then name it in `metric_list`.
public final class MetricRegistry: @unchecked Sendable {
    /// Builds a metric from its metric_list entry; throws `MetricError.invalidOption` naming a bad option.
    public typealias Factory = @Sendable (MetricSpec) throws -> any Metric

    /// The registry tasks resolve their metrics in.
    public static let shared: MetricRegistry = {
        let registry = MetricRegistry()
        registry.registerStandard()
        return registry
    }()

    private let lock = NSLock()
    private var factories: [String: Factory] = [:]

    /// An empty registry.
    public init() {}

    /// Registers `make` under `name`, replacing any metric registered under it before.
    public func register(_ name: String, _ make: @escaping Factory) {
        lock.lock()
        defer { lock.unlock() }
        factories[name] = make
    }

    /// The registered names, sorted.
    public var names: [String] {
        lock.lock()
        defer { lock.unlock() }
        return factories.keys.sorted()
    }

    /// The metric a metric_list entry names, built with its options.
    public func metric(for spec: MetricSpec) throws -> any Metric {
        lock.lock()
        let make = factories[spec.metric]
        lock.unlock()
        guard let make else { throw MetricError.unknownMetric(spec.metric, known: names) }
        return try make(spec)
    }
}

extension MetricRegistry {
    /// Mimic's metrics, one line each (tasks/README.md describes them).
    public func registerStandard() {
        register("exact_match") { try ExactMatchMetric(spec: $0) }
        register("acc") { _ in AccuracyMetric(lengthNormalized: false) }
        register("acc_norm") { _ in AccuracyMetric(lengthNormalized: true) }
        register("rouge1") { _ in RougeMetric(.rouge1) }
        register("rouge2") { _ in RougeMetric(.rouge2) }
        register("rougeL") { _ in RougeMetric(.rougeL) }
        register("bleu") { _ in BLEUMetric() }
        register("pass_at_1") { _ in PassAtKMetric(k: 1, reportName: "pass_at_1") }
        register("pass_at_k") { try PassAtKMetric(spec: $0) }
        register("non_toxicity") { _ in NonToxicityMetric() }
        register("list_match") { _ in FeatureMatchMetric(.list) }
        register("summary_match") { _ in FeatureMatchMetric(.summary) }
        register("unigram_intersection") { _ in UnigramIntersectionMetric() }
        register("length_correlation") { _ in LengthCorrelationMetric() }
        register("authoritative_tone") { _ in AuthoritativeToneMetric() }
    }
}
