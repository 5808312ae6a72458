// `mimic ledger`: what teacher requests cost, per model, run, day or source, from the request cache; or what they
// would have cost at another price table or as another model (`--as-model gpt-4o-mini` after a free local teacher).
import ArgumentParser
import Foundation
import MimicStages
import MimicTeacher

extension LedgerGrouping: ExpressibleByArgument {}

struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Show teacher spend per model, run or day from the request cache (or re-price it).")

    @Option(help: "The request cache (default: teacher.sqlite in the cache folder: $MIMIC_CACHE, ./.cache or ~/.cache/mimic).") var db: String?
    @Option(help: "Group by model, run, day (UTC) or source (online|batch).") var by: LedgerGrouping = .model
    @Option(name: .customLong("run"), help: "Only this run.") var runName: String?
    @Flag(help: "Print JSON instead of a table.") var json = false
    @Option(help: "Re-price with this price file (JSON: model -> {input, output}, dollars per 1M tokens).")
    var prices: String?
    @Option(name: .customLong("as-model"), help: "Price every request as this model (e.g. gpt-4o-mini).")
    var asModel: String?
    @Option(name: .customLong("batch-discount"), help: "Price factor of Batch API requests when re-pricing.")
    var batchDiscount: Double = 0.5
    @Option(name: .customLong("write-prices"), help: "Write the built-in price table to this file (to edit) and exit.")
    var writePrices: String?
    @Flag(help: "List the requests whose latest attempt failed instead of spend.") var failures = false

    func validate() throws {
        guard batchDiscount >= 0, batchDiscount.isFinite else { throw ValidationError("--batch-discount must be >= 0") }
    }

    func run() throws {
        if let writePrices {
            try PriceTable.writeDefault(to: writePrices)
            print("wrote the built-in price table to \(writePrices); edit it and pass it with --prices")
            return
        }
        let path = db ?? ClientConfig.defaultCache
        guard path == ":memory:" || FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("no request cache at \(path) (`mimic collect` writes one; pass --db PATH)")
        }
        let store = try RequestStore(path: path)
        if failures { return try showFailures(store) }
        var repricing: Repricing?
        if prices != nil || asModel != nil {
            let table = try prices.map { try PriceTable.load(from: $0) } ?? .default
            if let asModel, case .unknown = table.match(asModel) {
                throw ValidationError("--as-model \(asModel): no price for it in \(prices ?? "the built-in table") (add it with --prices)")
            }
            repricing = Repricing(prices: table, asModel: asModel, batchDiscount: batchDiscount)
        }
        let rows = try store.ledger(by: by, run: runName, repricing: repricing)
        let total = try store.totals(run: runName, repricing: repricing)
        if json {
            print(try ledgerJSON(rows: rows, total: total, repricing: repricing))
        } else {
            print(ledgerTable(rows: rows, total: total, repricing: repricing))
        }
    }

    func ledgerJSON(rows: [LedgerRow], total: LedgerRow, repricing: Repricing?) throws -> String {
        struct Report: Encodable {
            var by: String
            var run: String?
            var repriced_with: String?
            var as_model: String?
            var rows: [LedgerRow]
            var total: LedgerRow
        }
        let report = Report(by: by.rawValue, run: runName, repriced_with: repricing == nil ? nil : (prices ?? "built-in"),
                            as_model: asModel, rows: rows, total: total)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    func ledgerTable(rows: [LedgerRow], total: LedgerRow, repricing: Repricing?) -> String {
        var lines: [String] = []
        if repricing != nil {
            lines.append("re-priced" + (asModel.map { " as \($0)" } ?? "") + " at \(prices ?? "the built-in price table")"
                         + " (not what was billed)")
        }
        let header = [by.rawValue, "requests", "prompt tokens", "completion tokens", "cost (USD)"]
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
        lines.append(format(header))
        lines.append(String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1)))
        lines += body.dropLast().map(format)
        if !rows.isEmpty { lines.append(String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))) }
        lines.append(format(body[body.count - 1]))
        return lines.joined(separator: "\n")
    }

    func showFailures(_ store: RequestStore) throws {
        let list = try store.failures(run: runName)
        if json {
            let rows = list.map { ["key": $0.key, "run": $0.run, "reason": $0.reason, "attempts": "\($0.attempts)"] }
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        if list.isEmpty { print("no failed requests" + (runName.map { " in run \($0)" } ?? "")) }
        for failure in list {
            print("\(failure.key.prefix(16))  \(failure.run)  attempts \(failure.attempts)  \(failure.reason)")
        }
    }
}
