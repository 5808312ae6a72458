// `mimic ledger` as a library call: what the requests in a request cache cost, grouped, or re-priced at another
// table or as another model; and the requests whose latest attempt failed. Rendered as a table or JSON.
import Foundation
import MimicCore

/// What to show from a request cache's ledger.
public struct LedgerQuery: StageConfig, Hashable {
    /// The request cache (default: `teacher.sqlite` in the cache folder), named as `mimic collect --cache` names it.
    public var cache: String?
    /// Group by model, run, day (UTC) or source (online, batch).
    public var by = LedgerGrouping.model
    /// Only this run.
    public var run: String?
    /// Re-price with this price file.
    public var prices: String?
    /// Price every request as this model.
    public var asModel: String?
    /// Price factor of Batch API requests when re-pricing.
    public var batchDiscount = 0.5
    /// List the failed requests instead of spend.
    public var failures = false

    /// The defaults.
    public init() {}

    /// The cache's path.
    public var path: String { cache ?? ClientConfig.defaultCache }

    public func validate() throws {
        try ConfigError.require(batchDiscount >= 0 && batchDiscount.isFinite, "batch_discount", "must be 0 or more")
        try ConfigError.require(path == ":memory:" || FileManager.default.fileExists(atPath: path), "cache",
                                "no request cache at \(path)", hint: "`mimic collect` writes one; pass --cache PATH")
    }
}

/// A ledger: spend rows and their total, or the failed requests.
public struct LedgerReport: Sendable {
    /// The query it answers.
    public var query: LedgerQuery
    /// Spend per group.
    public var rows: [LedgerRow] = []
    /// The total over `rows`.
    public var total = LedgerRow(group: "total", requests: 0, promptTokens: 0, completionTokens: 0, costUSD: 0)
    /// The failed requests (with `query.failures`).
    public var failed: [FailureRecord] = []

    /// Reads the ledger `query` asks for.
    public static func make(_ query: LedgerQuery) throws -> LedgerReport {
        try query.validate()
        let store = try RequestStore(path: query.path)
        var report = LedgerReport(query: query)
        if query.failures {
            report.failed = try store.failures(run: query.run)
            return report
        }
        var repricing: Repricing?
        if query.prices != nil || query.asModel != nil {
            let table = try query.prices.map { try PriceTable.load(from: $0) } ?? .default
            if let asModel = query.asModel, case .unknown = table.match(asModel) {
                throw ConfigError(field: "as_model", problem: "no price for \(asModel) in \(query.prices ?? "the built-in table")",
                                  hint: "add it with --prices")
            }
            repricing = Repricing(prices: table, asModel: query.asModel, batchDiscount: query.batchDiscount)
        }
        report.rows = try store.ledger(by: query.by, run: query.run, repricing: repricing)
        report.total = try store.totals(run: query.run, repricing: repricing)
        return report
    }

    var repriced: Bool { query.prices != nil || query.asModel != nil }

    /// The report as pretty JSON.
    public func json() throws -> String {
        if query.failures {
            let rows = failed.map { ["key": $0.key, "run": $0.run, "reason": $0.reason, "attempts": "\($0.attempts)"] }
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
        struct Report: Encodable {
            var by: String
            var run: String?
            var repriced_with: String?
            var as_model: String?
            var rows: [LedgerRow]
            var total: LedgerRow
        }
        let report = Report(by: query.by.rawValue, run: query.run, repriced_with: repriced ? (query.prices ?? "built-in") : nil,
                            as_model: query.asModel, rows: rows, total: total)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    /// The report as a text table (or the failed requests, a line each).
    public func table() -> String {
        if query.failures {
            if failed.isEmpty { return "no failed requests" + (query.run.map { " in run \($0)" } ?? "") }
            return failed.map { "\($0.key.prefix(16))  \($0.run)  attempts \($0.attempts)  \($0.reason)" }.joined(separator: "\n")
        }
        var lines: [String] = []
        if repriced {
            lines.append("re-priced" + (query.asModel.map { " as \($0)" } ?? "") + " at \(query.prices ?? "the built-in price table")"
                         + " (not what was billed)")
        }
        let header = [query.by.rawValue, "requests", "prompt tokens", "completion tokens", "cost (USD)"]
        let body = (rows + [total]).map {
            [$0.group, "\($0.requests)", "\($0.promptTokens)", "\($0.completionTokens)", String(format: "$%.4f", $0.costUSD)]
        }
        let widths = header.indices.map { i in ([header] + body).map { $0[i].count }.max() ?? 0 }
        func format(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return i == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        let rule = String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))
        lines.append(format(header))
        lines.append(rule)
        lines += body.dropLast().map(format)
        if !rows.isEmpty { lines.append(rule) }
        lines.append(format(body[body.count - 1]))
        return lines.joined(separator: "\n")
    }
}
