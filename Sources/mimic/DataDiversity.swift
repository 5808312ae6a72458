// `mimic data diversity`: the paper's self-BLEU diversity of a file's queries (first user message of each item).
import ArgumentParser
import Foundation
import MimicCore
import MimicData
import MimicMetrics

struct DataDiversity: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diversity",
        abstract: "Self-BLEU diversity: each query's sentence BLEU against its most similar other query, and the mean.",
        discussion: """
            A query is the first user message of each conversation. FILE is conversation JSONL, a ShareGPT JSON \
            file (a cut-off one is read up to its last whole conversation), messages JSONL, a JSONL prompt field or \
            plain text. Scores are sacrebleu's sentence_bleu(query, [other query]) (13a, exp smoothing), found \
            exactly with an n-gram index, not by comparing every pair. Lower is more diverse (the paper: 8 for \
            ShareGPT-Mix, 61 for Super-NaturalInstructions).
            """)

    @Argument(help: "The conversations or prompts.") var file: String
    @Flag(help: "Print JSON instead of a table.") var json = false
    @Option(help: "Only the first N queries.") var limit: Int?
    @Option(help: "Worker threads.") var threads: Int = 2
    @Option(help: "Also write each query's nearest other query and score to this JSONL file.") var neighbors: String?

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let input = try BLEUQueryFile.read(file, limit: limit)
        input.printNotes()
        let queries = input.queries.compactMap { $0 }
        let started = Date()
        let progress = ProgressReporter()
        let report = Diversity.selfBLEU(queries, threads: threads) { done, total in progress.update("diversity", done: done, total: total, unit: "queries") }
        progress.finish()
        let seconds = Date().timeIntervalSince(started)
        if let neighbors { try writeNeighbors(report, queries, to: neighbors) }
        let sorted = report.neighbors.map(\.score).sorted()
        let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        let above20 = sorted.filter { $0 > 20 }.count
        if json {
            let object: [String: Any] = [
                "file": file, "items": input.queries.count, "queries": report.count,
                "without_user_message": input.queries.count - queries.count, "mean_self_bleu": report.mean,
                "median_self_bleu": median, "queries_above_20": above20, "seconds": seconds, "threads": threads,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("file                 \(file)")
            print("queries              \(report.count) (of \(input.queries.count) items; \(input.queries.count - queries.count) without a user message)")
            print("mean self-BLEU       \(String(format: "%.2f", report.mean))   (the diversity figure; lower = more diverse)")
            print("median self-BLEU     \(String(format: "%.2f", median))")
            print("queries above 20     \(above20)")
            print("time                 \(String(format: "%.2f", seconds)) s on \(threads) thread(s)")
        }
    }

    func writeNeighbors(_ report: DiversityReport, _ queries: [String], to path: String) throws {
        var out = Data()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        struct Line: Encodable { var index: Int; var query: String; var nearest: Int?; var score: Double }
        for (i, n) in report.neighbors.enumerated() {
            out.append(try encoder.encode(Line(index: i, query: queries[i], nearest: n.index, score: n.score)))
            out.append(0x0A)
        }
        try AtomicFile.write(out, to: URL(fileURLWithPath: path))
    }
}

/// The items of a prompt or conversation file, each with its query (first user message, nil if none).
struct BLEUQueryFile {
    var records: [ConversationRecord] = []
    var queries: [String?] = []
    var notes: [String] = []

    private struct Enough: Error {}

    /// Reads `path` (conversation JSONL keeps each record whole; other formats through `PromptSource`),
    /// skipping malformed items with a note.
    static func read(_ path: String, limit: Int?) throws -> BLEUQueryFile {
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("\(path): no such file")
        }
        var result = BLEUQueryFile()
        func add(_ record: ConversationRecord) throws {
            result.records.append(record)
            result.queries.append(record.messages.first { $0.role == "user" }?.content)
            if let limit, result.records.count >= limit { throw Enough() }
        }
        if try PromptSource.detect(url) == .messagesJSONL {
            do {
                let report = try ConversationJSONL.forEach(url, policy: .skipAndReport) { record, _ in try add(record) }
                if report.items > 0 || report.malformed == 0 {
                    result.notes += report.problems.prefix(5).map { "skipped: \($0)" }
                    if report.malformed > 5 { result.notes.append("skipped \(report.malformed) malformed lines in all") }
                    return result
                }
            } catch is Enough {
                return result
            }
            result = BLEUQueryFile()
        }
        do {
            let report = try PromptSource.forEach(url, policy: .skipAndReport) { item in
                try add(ConversationRecord(messages: item.messages, meta: RecordMeta(source: item.source)))
            }
            result.notes += report.problems.prefix(5).map { "skipped: \($0)" }
            if report.malformed > 5 { result.notes.append("skipped \(report.malformed) malformed items in all") }
            if report.truncated { result.notes.append("the file is cut off; read up to \(report.stoppedAt ?? "its last whole item")") }
        } catch is Enough {}
        return result
    }

    func printNotes() {
        for note in notes { printError("note: \(note)") }
    }
}
