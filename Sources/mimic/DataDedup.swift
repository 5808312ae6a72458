// `mimic data dedup`: exact query-level de-duplication, then (with --near) MinHash/LSH near-duplicate removal.
import ArgumentParser
import Foundation
import MimicCore
import MimicData

extension NearDedupOptions.Scope: ExpressibleByArgument {}

struct DataDedup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dedup",
        abstract: "Remove duplicate queries (exact after normalisation; near-duplicates with --near THRESHOLD).")

    @Argument(help: "The conversation JSONL to de-duplicate.") var input: String
    @Option(help: "The conversation JSONL to write.") var out: String
    @Option(help: "Also remove near-duplicates: pairs whose shingle Jaccard is at least this (e.g. 0.8).") var near: Double?
    @Option(help: "Shingles: char5 (5-character runs) or word3 (3-word runs), any n.") var shingles = "char5"
    @Option(help: "MinHash permutations.") var permutations = 128
    @Option(help: "What to compare: query (first user message) or conversation (all turns).") var scope: NearDedupOptions.Scope = .query
    @Option(help: "Seed of the MinHash functions.") var seed: UInt64 = 1
    @Option(help: "Fixed LSH bands (with --rows); default: chosen from the threshold.") var bands: Int?
    @Option(help: "Fixed LSH rows per band (with --bands).") var rows: Int?
    @Option(help: "Threads for the MinHash signatures (default: every core).") var threads: Int?
    @Flag(help: "Skip the exact pass (near-duplicates only).") var noExact = false
    @Option(help: "Write the removal report (JSON) here.") var report: String?

    func validate() throws {
        if let near, !(near > 0 && near <= 1) { throw ValidationError("--near must be in (0, 1]") }
        guard Shingling(name: shingles) != nil else { throw ValidationError("--shingles: use char5, word3 or another charN / wordN") }
        guard permutations > 0 else { throw ValidationError("--permutations must be > 0") }
        if let threads, threads < 1 { throw ValidationError("--threads must be >= 1") }
        guard (bands == nil) == (rows == nil) else { throw ValidationError("give both --bands and --rows, or neither") }
        if let bands, let rows, bands < 1 || rows < 1 || bands * rows > permutations {
            throw ValidationError("--bands × --rows must be between 1 and --permutations")
        }
    }

    func run() throws {
        let start = Date()
        var records = try readRecords(input)
        let readSeconds = Date().timeIntervalSince(start)
        var reports: [FilterReport] = []
        if !noExact {
            let exact = ExactDedup.run(records)
            records = exact.kept
            reports.append(exact.report)
        }
        if let near {
            var options = NearDedupOptions(threshold: near, permutations: permutations, seed: seed, scope: scope,
                                           threads: threads)
            options.shingling = Shingling(name: shingles) ?? .characters(5)
            if let bands, let rows { options.lsh = LSHParameters(bands: bands, rows: rows) }
            let result = NearDedup.run(records, options: options)
            records = result.kept
            reports.append(result.report)
        }
        try ConversationJSONL.write(records, to: URL(fileURLWithPath: out))
        for r in reports { print(r.summary) }
        if let last = reports.last, last.filter == "minhash" {
            let count = { (key: String) in last.details[key]?.intValue ?? 0 }
            print("minhash: \(count("bands")) bands × \(count("rows")) rows, \(count("candidate_pairs")) candidate pairs; "
                  + String(format: "signatures %.2f s, clusters %.2f s", seconds(last.details["signature_seconds"]),
                           seconds(last.details["cluster_seconds"])))
        }
        print("wrote \(records.count) records to \(out) "
              + String(format: "(read %.2f s, total %.2f s)", readSeconds, Date().timeIntervalSince(start)))
        try writeReports(reports, to: report)
    }

    func seconds(_ value: JSONValue?) -> Double {
        if case .double(let d)? = value { return d }
        return 0
    }
}
