// `mimic ledger`: what teacher requests cost, per model, run, day or source, from the request cache; or what they
// would have cost at another price table or as another model (`--as-model gpt-4o-mini` after a free local teacher).
import ArgumentParser
import Foundation
import MimicStages
import MimicTeacher

extension LedgerGrouping: ExpressibleByArgument {}

struct LedgerCommand: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Show teacher spend per model, run or day from the request cache (or re-price it).")

    @Option(help: "A config file (YAML or JSON) with LedgerQuery's keys; flags override it.") var config: String?
    @Option(help: "The request cache, as `mimic collect --cache` (default: teacher.sqlite in the cache folder: $MIMIC_CACHE, ./.cache or ~/.cache/mimic).")
    var cache: String?
    @Option(help: "Group by model, run, day (UTC) or source (online|batch); default model.") var by: LedgerGrouping?
    @Option(name: .customLong("run"), help: "Only this run.") var runName: String?
    @Flag(help: "Print JSON instead of a table.") var json = false
    @Option(help: "Re-price with this price file (JSON: model -> {input, output}, dollars per 1M tokens).")
    var prices: String?
    @Option(name: .customLong("as-model"), help: "Price every request as this model (e.g. gpt-4o-mini).")
    var asModel: String?
    @Option(name: .customLong("batch-discount"), help: "Price factor of Batch API requests when re-pricing (default 0.5).")
    var batchDiscount: Double?
    @Option(name: .customLong("write-prices"), help: "Write the built-in price table to this file (to edit) and exit.")
    var writePrices: String?
    @Flag(help: "List the requests whose latest attempt failed instead of spend.") var failures = false

    func run() throws {
        if let writePrices {
            try PriceTable.writeDefault(to: writePrices)
            print("wrote the built-in price table to \(writePrices); edit it and pass it with --prices")
            return
        }
        let query = try ConfigResolver.resolve(LedgerQuery(), file: config, environmentPrefix: "MIMIC_LEDGER", flags: self,
                                               except: ["config", "json", "writePrices", "runName"]) { q in
            if let runName { q.run = runName }
        }
        let report = try LedgerReport.make(query)
        print(json ? try report.json() : report.table())
    }
}
