// The one reader and writer of conversation JSON Lines (`{"messages":[…],"meta":{…}}`), through JSONLines: bad lines
// reported by file:line under one `BadInputPolicy`, sorted-key lines, atomic writes.
import Foundation

/// Reading and writing conversation JSON Lines files.
public enum ConversationJSONL {
    /// Streams the records of `url` to `body` in file order. Blank lines are ignored; a malformed line throws
    /// `RecordFileError.malformedLine` (policy `.fail`) or is counted in the report (`.skip`).
    public static func forEach(_ url: URL, policy: BadInputPolicy = .fail,
                               _ body: (ConversationRecord, Int) throws -> Void) throws -> LineReadReport {
        try JSONLines.forEach(ConversationRecord.self, in: url, policy: policy, body)
    }

    /// Reads every record of `url` into memory, with the report.
    public static func read(_ url: URL, policy: BadInputPolicy = .fail) throws -> ([ConversationRecord], LineReadReport) {
        var records: [ConversationRecord] = []
        let report = try forEach(url, policy: policy) { record, _ in records.append(record) }
        return (records, report)
    }

    /// One record as a line of JSON (sorted keys, no trailing newline): the same record gives the same bytes.
    public static func encodeLine(_ record: ConversationRecord) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(record)
    }

    /// Writes `records` to `url` atomically: a temporary file beside it, then a rename, so `url` holds either
    /// its old content or all of the new, never part of it.
    public static func write(_ records: [ConversationRecord], to url: URL) throws {
        var data = Data()
        do {
            for record in records {
                data.append(try encodeLine(record))
                data.append(0x0A)
            }
        } catch {
            throw RecordFileError.unwritable(file: url.path, reason: "a record cannot be encoded: \(error)")
        }
        try AtomicFile.write(data, to: url)
    }
}
