// The results of `mimic eval`: a JSON file (tasks' versions, the full configuration, the seed, each metric's value
// and standard error, every item's record), written atomically, and a summary table for the terminal.
import Foundation
import MimicCore

/// Everything one `mimic eval` run produced.
public struct EvalReport: Codable, Sendable {
    /// When the run finished (ISO 8601).
    public var date: String
    /// The model's identity.
    public var model: String
    /// The resolved configuration of the run (`mimic eval --config RESULTS.json` runs it again); nil when the report
    /// was made by calling `Evaluator` directly.
    public var config: EvalConfig?
    /// The command line that ran it.
    public var command: String
    /// The evaluator's options (from the configuration).
    public var options: EvalOptions
    /// Task name → version.
    public var versions: [String: Int]
    public var results: [TaskResult]

    public init(model: String, config: EvalConfig?, command: String = "", options: EvalOptions, results: [TaskResult]) {
        date = ISO8601DateFormatter().string(from: Date())
        self.model = model
        self.config = config
        self.command = command
        self.options = options
        versions = Dictionary(results.map { ($0.task, $0.version) }) { first, _ in first }
        self.results = results
    }

    /// Writes the report as JSON to `path` through a temporary file and a rename.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try encoder.encode(self)
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try AtomicFile.write(data, to: path)
    }

    /// Reads a report written by `write(to:)`.
    public static func read(from path: String) throws -> EvalReport {
        guard let data = FileManager.default.contents(atPath: path) else { throw EvalError.fileNotFound(path, hint: "give a results file of mimic eval") }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(EvalReport.self, from: data)
    }

    /// A Markdown table: task, version, filter, n, metric, value ± stderr (grouped tasks add macro and group rows).
    public func table(showGroups: Bool = true) -> String {
        var rows: [[String]] = [["Task", "Version", "Filter", "n", "Metric", "Value", "Stderr"]]
        func add(_ task: String, _ version: String, _ metrics: [String: MetricValue]) {
            for key in metrics.keys.sorted() {
                let parts = key.split(separator: ",", maxSplits: 1).map(String.init)
                let m = metrics[key]!
                rows.append([task, version, parts.count > 1 ? parts[1] : "none", String(m.n) + (m.missing > 0 ? " (\(m.missing) missing)" : ""),
                             parts[0], m.value.map { String(format: "%.4f", $0) } ?? "n/a", m.stderr.map { String(format: "± %.4f", $0) } ?? ""])
            }
        }
        for r in results {
            add(r.task, String(r.version), r.metrics.mapKeys { $0 })
            if let macro = r.macro { add(r.task + " (macro)", "", macro) }
            if showGroups, let groups = r.groups {
                for g in groups.keys.sorted() { add(" - " + g, "", groups[g]!) }
            }
        }
        let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            "| " + cells.enumerated().map { c, s in s + String(repeating: " ", count: widths[c] - s.count) }.joined(separator: " | ") + " |"
        }
        var out = [line(rows[0]), "|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|"]
        out += rows.dropFirst().map(line)
        return out.joined(separator: "\n")
    }
}

extension Dictionary {
    func mapKeys<K: Hashable>(_ f: (Key) -> K) -> [K: Value] { Dictionary<K, Value>(uniqueKeysWithValues: map { (f($0.key), $0.value) }) }
}
