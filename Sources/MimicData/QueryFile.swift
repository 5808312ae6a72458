// The items of a prompt or conversation file with their queries (first user messages): what the self-BLEU
// diversity and the leakage filter read, from conversation JSONL, ShareGPT JSON or any prompt layout.
import Foundation
import MimicCore

/// The items of a prompt or conversation file, each with its query (first user message, nil if none).
public struct QueryFile: Sendable {
    /// The items, whole (a conversation JSONL record keeps every field).
    public var records: [ConversationRecord] = []
    /// Each item's query, nil when it has no user message.
    public var queries: [String?] = []
    /// What was skipped or cut off, a line each.
    public var notes: [String] = []

    private struct Enough: Error {}

    /// The queries there are, in order.
    public var presentQueries: [String] { queries.compactMap { $0 } }

    /// Reads `path` (conversation JSONL keeps each record whole; other formats through `PromptSource`), the first
    /// `limit` items at most, skipping malformed items with a note.
    public static func read(_ path: String, limit: Int? = nil) throws -> QueryFile {
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: path) else {
            throw RecordFileError.unreadable(file: path, reason: "no such file")
        }
        var result = QueryFile()
        func add(_ record: ConversationRecord) throws {
            result.records.append(record)
            result.queries.append(record.messages.first { $0.role == "user" }?.content)
            if let limit, result.records.count >= limit { throw Enough() }
        }
        if try PromptSource.detect(url) == .messagesJSONL {
            do {
                let report = try ConversationJSONL.forEach(url, policy: .skip) { record, _ in try add(record) }
                if report.items > 0 || report.malformed == 0 {
                    result.notes += report.problems.prefix(5).map { "skipped: \($0)" }
                    if report.malformed > 5 { result.notes.append("skipped \(report.malformed) malformed lines in all") }
                    return result
                }
            } catch is Enough {
                return result
            }
            result = QueryFile()
        }
        do {
            let report = try PromptSource.forEach(url, policy: .skip) { item in
                try add(ConversationRecord(messages: item.messages, meta: RecordMeta(source: item.source)))
            }
            result.notes += report.problems.prefix(5).map { "skipped: \($0)" }
            if report.malformed > 5 { result.notes.append("skipped \(report.malformed) malformed items in all") }
            if report.truncated { result.notes.append("the file is cut off; read up to \(report.stoppedAt ?? "its last whole item")") }
        } catch is Enough {}
        return result
    }
}
