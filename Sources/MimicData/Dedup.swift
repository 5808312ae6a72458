// Exact query-level de-duplication: queries equal after normalisation (NFKC, lowercase, whitespace collapsed,
// punctuation and spaces trimmed at both ends) are duplicates; the first in input order is kept.
import Foundation
import MimicCore

/// The normal form two queries are compared in.
public enum QueryNormalizer {
    /// `text` in NFKC (compatibility forms folded: full-width letters, ligatures, non-breaking spaces),
    /// lowercased, every run of white space (newlines included) turned into one space, and punctuation, symbols
    /// and spaces removed from both ends. "  Hello,   WORLD!! " and "hello, world" have the same normal form;
    /// punctuation inside the text is kept ("c++" and "c" differ only where the `+` are not at an end).
    public static func normalize(_ text: String) -> String {
        let folded = text.precomposedStringWithCompatibilityMapping.lowercased()
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in folded.unicodeScalars {
            if CharacterSet.whitespacesAndNewlines.contains(scalar) {
                pendingSpace = !out.isEmpty
                continue
            }
            if pendingSpace { out.append(" ") }
            pendingSpace = false
            out.append(scalar)
        }
        let trim = CharacterSet.punctuationCharacters.union(.symbols).union(.whitespacesAndNewlines)
        return String(out).trimmingCharacters(in: trim)
    }
}

/// Exact de-duplication of conversations by their normalised query.
public enum ExactDedup {
    /// Keeps the first conversation of each normalised query, in input order. Conversations without a user
    /// turn have no query and are kept unchanged. The report's reason is "duplicate-query"; each example shows
    /// the removed query and the record (`meta.source`, else its input index) it duplicates.
    public static func run(_ records: [ConversationRecord]) -> FilterResult {
        var report = FilterReport(filter: "exact-dedup")
        report.input = records.count
        var firstSeen: [String: Int] = [:]
        var kept: [ConversationRecord] = []
        kept.reserveCapacity(records.count)
        for (index, record) in records.enumerated() {
            guard let query = record.query else {
                kept.append(record)
                continue
            }
            let key = QueryNormalizer.normalize(query)
            if let first = firstSeen[key] {
                report.remove("duplicate-query",
                              example: "\(label(record, index)) duplicates \(label(records[first], first)): \(query)")
            } else {
                firstSeen[key] = index
                kept.append(record)
            }
        }
        report.kept = kept.count
        return FilterResult(kept: kept, report: report)
    }

    static func label(_ record: ConversationRecord, _ index: Int) -> String {
        record.meta.source ?? "record \(index + 1)"
    }
}
