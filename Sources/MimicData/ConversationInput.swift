// ConversationInput.swift: streams ConversationRecords from conversation JSONL or any PromptSource layout
// (ShareGPT JSON, messages JSONL, field JSONL, plain text), so curation commands run on raw downloads too.
import Foundation
import MimicCore

/// Reads conversations for the curation commands from either Mimic's conversation JSONL or a prompt file.
public enum ConversationInput {
    /// What one pass over an input found.
    public struct Report: Codable, Sendable, Hashable {
        /// "conversation-jsonl" or the prompt layout read ("sharegpt", "messages-jsonl", "field-jsonl", "plain-text").
        public var format: String
        /// Records handed on.
        public var records = 0
        /// Malformed items skipped.
        public var malformed = 0
        /// The first problems found, by position.
        public var problems: [String] = []
        /// Where a cut-off ShareGPT file stopped, if it did.
        public var stoppedAt: String?

        /// Creates a report for `format`.
        public init(format: String) { self.format = format }
    }

    /// Streams the conversations of `url` to `body` (record and a position such as `file:line` or
    /// `file#id`). Conversation JSONL keeps each record's `meta`; other layouts become records whose
    /// `meta.source` is the position. Malformed items are skipped and reported (the input of a filter is
    /// often a raw download), or thrown under `.fail`.
    public static func forEach(_ url: URL, policy: BadInputPolicy = .skip,
                               _ body: (ConversationRecord, String) throws -> Void) throws -> Report {
        let format = try PromptSource.detect(url)
        if format == .messagesJSONL, try isConversationJSONL(url) {
            var report = Report(format: "conversation-jsonl")
            let read = try ConversationJSONL.forEach(url, policy: policy) { record, line in
                try body(record, "\(url.path):\(line)")
            }
            report.records = read.items
            report.malformed = read.malformed
            report.problems = read.problems
            return report
        }
        var report = Report(format: name(of: format))
        let read = try PromptSource.forEach(url, format: format, policy: policy) { prompt in
            try body(ConversationRecord(messages: prompt.messages, meta: RecordMeta(source: prompt.source)), prompt.source)
        }
        report.records = read.items
        report.malformed = read.malformed
        report.problems = read.problems
        report.stoppedAt = read.truncated ? read.stoppedAt : nil
        return report
    }

    /// Whether the first non-blank line of `url` decodes as a `ConversationRecord`.
    static func isConversationJSONL(_ url: URL) throws -> Bool {
        var decodes = false
        do {
            try LineStream.forEachLine(of: url) { _, bytes in
                guard bytes.contains(where: { !JSONLines.isSpace($0) }) else { return }
                decodes = (try? JSONDecoder().decode(ConversationRecord.self, from: Data(bytes))) != nil
                throw StopReading.stop
            }
        } catch StopReading.stop {}
        return decodes
    }

    private enum StopReading: Error { case stop }

    static func name(of format: PromptFormat) -> String {
        switch format {
        case .auto: return "auto"
        case .messagesJSONL: return "messages-jsonl"
        case .fieldJSONL: return "field-jsonl"
        case .plainText: return "plain-text"
        case .shareGPT: return "sharegpt"
        }
    }
}
