// FilterReport: what a curation filter kept and removed, by reason, with a few examples of each; shared by
// de-duplication, near-duplicate removal, length bounds and the coding-prompt filter.
import Foundation
import MimicCore

/// What one filter pass did: counts in and out, removals by reason, and examples.
public struct FilterReport: Codable, Sendable, Hashable {
    /// The filter's name ("exact-dedup", "minhash", "length", "drop-code").
    public var filter: String
    /// Records seen.
    public var input = 0
    /// Records kept.
    public var kept = 0
    /// Records removed, by reason.
    public var removed: [String: Int] = [:]
    /// Up to `exampleLimit` examples per reason (the removed query, and what it matched where that applies).
    public var examples: [String: [String]] = [:]
    /// Settings and measurements worth keeping with the report (threshold, bands, rows, seconds…).
    public var details: [String: JSONValue] = [:]
    /// How many examples are kept per reason.
    public static let exampleLimit = 5

    /// An empty report for `filter`.
    public init(filter: String) { self.filter = filter }

    /// All records removed, whatever the reason.
    public var removedTotal: Int { removed.values.reduce(0, +) }

    /// Counts one removal for `reason`, keeping `example` while there are fewer than `exampleLimit`.
    public mutating func remove(_ reason: String, example: @autoclosure () -> String) {
        removed[reason, default: 0] += 1
        if examples[reason, default: []].count < Self.exampleLimit {
            examples[reason, default: []].append(String(example().prefix(300)))
        }
    }

    /// One line for a terminal: "exact-dedup: 1000 in, 950 kept, removed 50 (duplicate-query 50)".
    public var summary: String {
        let reasons = removed.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "\(filter): \(input) in, \(kept) kept, removed \(removedTotal)" + (reasons.isEmpty ? "" : " (\(reasons))")
    }

    /// The report as pretty JSON with sorted keys.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

/// Records a filter kept, with its report.
public struct FilterResult: Sendable {
    /// The kept records, in input order.
    public var kept: [ConversationRecord]
    /// What was removed and why.
    public var report: FilterReport

    /// Creates a result.
    public init(kept: [ConversationRecord], report: FilterReport) {
        self.kept = kept
        self.report = report
    }
}

extension ConversationRecord {
    /// The query: the first user message, or nil when the conversation has none.
    public var query: String? { messages.first { $0.role == "user" }?.content }
}

extension FilterReport {
    /// Writes `reports` as pretty JSON (one object, or an array for several) to `path` atomically.
    public static func write(_ reports: [FilterReport], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = reports.count == 1 ? try encoder.encode(reports[0]) : try encoder.encode(reports)
        try AtomicFile.write(data, to: path)
    }
}
