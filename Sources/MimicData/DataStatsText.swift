// DataStatsText.swift: DataStats as text for the terminal: a summary table, the length histogram as a bar chart,
// languages and the category breakdown beside the paper's Table 6.
import Foundation
import MimicCore

extension DataStats {
    /// The statistics as aligned text, about 60 lines; `topLanguages` limits the language table.
    public func renderText(topLanguages: Int = 12, barWidth: Int = 40) -> String {
        var out: [String] = []
        out.append("\(file)")
        if let input {
            var line = "  format \(input.format), \(input.records) conversations read, \(input.malformed) malformed skipped"
            if let stoppedAt = input.stoppedAt { line += "; file cut off: \(stoppedAt)" }
            out.append(line)
        }
        out.append("")
        out.append(row("conversations", "\(conversations)"))
        let roles = messagesPerRole.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        out.append(row("messages per role", roles.isEmpty ? "-" : roles))
        out.append("")
        out.append(pad("", 28) + " " + ["mean", "median", "p90", "max"].map { pad($0, 9, left: true) }.joined(separator: " ")
                   + " " + pad("total", 12, left: true))
        out.append(summaryRow("turns per conversation", turns))
        out.append(summaryRow("tokens per conversation", tokensPerConversation))
        out.append(summaryRow("tokens per query", tokensPerQuery))
        out.append(summaryRow("tokens per user message", tokensPerUserMessage))
        out.append(summaryRow("tokens per answer", tokensPerAnswer))
        out.append("  (tokens: \(tokenizer), message contents without a chat template)")
        out.append("")
        out.append(row("queries", "\(conversations - withoutQuery) (\(withoutQuery) conversations without one)"))
        out.append(row("distinct queries", "\(distinctQueries)"))
        out.append(row("duplicate queries", String(format: "%d (%.2f%%, normalised as `mimic data dedup` does)",
                                                     duplicateQueries, duplicateRate * 100)))
        out.append(row("diversity (self-BLEU)", diversity.map { String(format: "%.2f (mean self-BLEU, lower = more diverse)", $0) } ?? "not computed (--diversity)"))
        out.append("")
        out.append("tokens per conversation (log-spaced buckets)")
        out.append(contentsOf: histogramLines(barWidth: barWidth))
        out.append("")
        out.append("languages (CLD2, user turns)")
        out.append(contentsOf: languageLines(top: topLanguages))
        out.append("")
        out.append(pad("category (rules)", 16) + " " + ["count", "share", "paper"].map { pad($0, 8, left: true) }.joined(separator: " "))
        for item in categories {
            out.append(pad(item.category, 16) + " " + pad("\(item.count)", 8, left: true) + " "
                       + pad(String(format: "%.1f%%", item.percent), 8, left: true) + " "
                       + pad(item.paperPercent.map { "\($0)%" } ?? "-", 8, left: true))
        }
        out.append(String(format: "\n%.1f s", seconds))
        return out.joined(separator: "\n")
    }

    /// The statistics as pretty, key-sorted JSON; `diversity` is written as null when not computed.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        guard diversity == nil, var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return data }
        object["diversity"] = NSNull()
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    func row(_ label: String, _ value: String) -> String {
        pad(label, 28) + " " + value
    }

    func summaryRow(_ label: String, _ summary: CountSummary) -> String {
        pad(label, 28) + String(format: " %9.1f %9.1f %9d %9d %12d", summary.mean, summary.median, summary.p90,
                                summary.max, summary.total)
    }

    func histogramLines(barWidth: Int) -> [String] {
        let largest = lengthHistogram.map(\.count).max() ?? 0
        return lengthHistogram.map { bucket in
            let label = bucket.upper - bucket.lower == 1 ? "\(bucket.lower)" : "\(bucket.lower)-\(bucket.upper - 1)"
            let length = largest == 0 ? 0 : Int((Double(bucket.count) / Double(largest) * Double(barWidth)).rounded(.up))
            return "  " + pad(label, 13, left: true) + String(format: " %7d ", bucket.count) + String(repeating: "#", count: length)
        }
    }

    func languageLines(top: Int) -> [String] {
        let sorted = languages.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        var lines = sorted.prefix(top).map { code, count in
            "  " + pad(code, 8) + " " + pad(LanguageID.name(ofCode: code), 16)
                + String(format: " %7d %6.1f%%", count, conversations == 0 ? 0 : Double(count) * 100 / Double(conversations))
        }
        if sorted.count > top {
            let rest = sorted.dropFirst(top).reduce(0) { $0 + $1.value }
            lines.append("  " + pad("others", 25) + String(format: " %7d (%d more languages)", rest, sorted.count - top))
        }
        return lines
    }

    /// `text` padded with spaces to `width` characters (on the left when `left`); longer text is left as it is.
    /// (Foundation's `%-20@` ignores the width on Linux.)
    func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return left ? fill + text : text + fill
    }
}
