// The cost ledger over the request store: spend, requests and tokens grouped by model, run, day or source, as
// billed, or re-priced at another price table or as another model ("what would this have cost on gpt-4o-mini?").
import Foundation
import MimicCore
import GRDB

/// What ledger rows are grouped by.
public enum LedgerGrouping: String, ConfigChoice {
    case model, run, day, source

    var column: String {
        switch self {
        case .model: return "model"
        case .run: return "run"
        case .day: return "substr(created_at, 1, 10)"  // UTC day, YYYY-MM-DD
        case .source: return "source"
        }
    }
}

/// One group of the ledger.
public struct LedgerRow: Sendable, Hashable, Codable {
    /// The model, run, UTC day (`YYYY-MM-DD`) or source; `total` for the totals row.
    public var group: String
    public var requests: Int
    public var promptTokens: Int
    public var completionTokens: Int
    public var costUSD: Double

    public init(group: String, requests: Int, promptTokens: Int, completionTokens: Int, costUSD: Double) {
        self.group = group
        self.requests = requests
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.costUSD = costUSD
    }

    enum CodingKeys: String, CodingKey {
        case group, requests, promptTokens = "prompt_tokens", completionTokens = "completion_tokens", costUSD = "cost_usd"
    }
}

/// How to re-price stored requests instead of reporting what was billed.
public struct Repricing: Sendable, Hashable {
    /// The prices to apply.
    public var prices: PriceTable
    /// Price every row as this model (e.g. `gpt-4o-mini`) instead of the model it went to.
    public var asModel: String?
    /// The factor for rows that came through the Batch API (0.5: half price).
    public var batchDiscount: Double

    public init(prices: PriceTable, asModel: String? = nil, batchDiscount: Double = 0.5) {
        self.prices = prices
        self.asModel = asModel
        self.batchDiscount = batchDiscount
    }
}

extension RequestStore {
    /// Spend grouped by `grouping` for `run` (all runs when nil), largest cost first; billed costs, or re-priced.
    public func ledger(by grouping: LedgerGrouping, run: String? = nil, repricing: Repricing? = nil) throws -> [LedgerRow] {
        let parts = try usage(by: grouping, run: run)
        var rows: [String: LedgerRow] = [:]
        for part in parts {
            var row = rows[part.group] ?? LedgerRow(group: part.group, requests: 0, promptTokens: 0, completionTokens: 0, costUSD: 0)
            row.requests += part.requests
            row.promptTokens += part.promptTokens
            row.completionTokens += part.completionTokens
            row.costUSD += repricing.map { part.cost(at: $0) } ?? part.billedUSD
            rows[part.group] = row
        }
        return rows.values.sorted { ($0.costUSD, $1.group) > ($1.costUSD, $0.group) }
    }

    /// The totals of `run` (all runs when nil), billed or re-priced; `group` is `total`.
    public func totals(run: String? = nil, repricing: Repricing? = nil) throws -> LedgerRow {
        let rows = try ledger(by: .run, run: run, repricing: repricing)
        return rows.reduce(LedgerRow(group: "total", requests: 0, promptTokens: 0, completionTokens: 0, costUSD: 0)) {
            LedgerRow(group: "total", requests: $0.requests + $1.requests, promptTokens: $0.promptTokens + $1.promptTokens,
                      completionTokens: $0.completionTokens + $1.completionTokens, costUSD: $0.costUSD + $1.costUSD)
        }
    }

    /// What `run` has been billed so far (over every attempt of it).
    public func spent(run: String) throws -> Double {
        try writer.read { db in
            try Double.fetchOne(db, sql: "SELECT COALESCE(SUM(cost_usd), 0) FROM responses WHERE run = ?", arguments: [run]) ?? 0
        }
    }

    struct UsagePart {
        var group: String
        var model: String
        var source: String
        var requests: Int
        var promptTokens: Int
        var completionTokens: Int
        var billedUSD: Double

        func cost(at repricing: Repricing) -> Double {
            let discount = source == ResponseSource.batch.rawValue ? repricing.batchDiscount : 1
            return repricing.prices.cost(model: repricing.asModel ?? model, promptTokens: promptTokens,
                                         completionTokens: completionTokens, discount: discount)
        }
    }

    func usage(by grouping: LedgerGrouping, run: String?) throws -> [UsagePart] {
        try writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(grouping.column) AS grp, model, source, COUNT(*) AS n, SUM(prompt_tokens) AS p,
                    SUM(completion_tokens) AS c, SUM(cost_usd) AS usd
                FROM responses WHERE (?1 IS NULL OR run = ?1) GROUP BY grp, model, source
                """, arguments: [run]).map {
                UsagePart(group: $0["grp"], model: $0["model"], source: $0["source"], requests: $0["n"],
                          promptTokens: $0["p"], completionTokens: $0["c"], billedUSD: $0["usd"])
            }
        }
    }
}
