// `mimic data dedup`: exact query-level de-duplication, then (with --near) MinHash/LSH near-duplicate removal.
// The flags (over --config and MIMIC_DATA_DEDUP_*) become a `DataDedupConfig`; `DataStages.dedup` does the work.
import ArgumentParser
import Foundation
import MimicCore
import MimicData
import MimicStages

extension NearDedupOptions.Scope: ExpressibleByArgument {}

struct DataDedup: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "dedup",
        abstract: "Remove duplicate queries (exact after normalisation; near-duplicates with --near THRESHOLD).")

    @Argument(help: "The conversation JSONL to de-duplicate.") var input: String?
    @OptionGroup var config: ConfigFileOption
    @Option(help: "The conversation JSONL to write.") var out: String?
    @Option(help: "Also remove near-duplicates: pairs whose shingle Jaccard is at least this (e.g. 0.8).") var near: Double?
    @Option(help: "Shingles: char5 (5-character runs) or word3 (3-word runs), any n (default char5).") var shingles: String?
    @Option(help: "MinHash permutations (default 128).") var permutations: Int?
    @Option(help: "What to compare: query (first user message) or conversation (all turns).") var scope: NearDedupOptions.Scope?
    @Option(help: "Seed of the MinHash functions (default 1).") var seed: UInt64?
    @Option(help: "Fixed LSH bands (with --rows); default: chosen from the threshold.") var bands: Int?
    @Option(help: "Fixed LSH rows per band (with --bands).") var rows: Int?
    @Option(help: "Threads for the MinHash signatures (default: every core).") var threads: Int?
    @Flag(help: "Skip the exact pass (near-duplicates only).") var noExact = false
    @Option(help: "Write the removal report (JSON) here.") var report: String?

    func run() throws {
        let resolved = try ConfigResolver.resolve(DataDedupConfig(), file: config.path, environmentPrefix: "MIMIC_DATA_DEDUP",
                                                  flags: self, except: ["noExact"]) { c in
            if noExact { c.exact = false }
        }
        let summary = try DataStages.dedup(resolved, log: printError)
        for r in summary.reports { print(r.summary) }
        if let last = summary.reports.last, last.filter == "minhash" {
            let count = { (key: String) in last.details[key]?.intValue ?? 0 }
            print("minhash: \(count("bands")) bands × \(count("rows")) rows, \(count("candidate_pairs")) candidate pairs; "
                  + String(format: "signatures %.2f s, clusters %.2f s", seconds(last.details["signature_seconds"]),
                           seconds(last.details["cluster_seconds"])))
        }
        print("wrote \(summary.kept) records to \(resolved.out) "
              + String(format: "(read %.2f s, total %.2f s)", summary.readSeconds, summary.totalSeconds))
    }

    func seconds(_ value: JSONValue?) -> Double {
        if case .double(let d) = value { return d }
        return 0
    }
}
