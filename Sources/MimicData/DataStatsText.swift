// DataStatsText.swift: DataStats as text for the terminal: a summary table, the length histogram as a bar chart,
// languages and the category breakdown beside the paper's Table 6.
import Foundation

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
        out.append(String(format: "%-28@ %9@ %9@ %9@ %9@ %12@", "" as NSString, "mean" as NSString, "median" as NSString,
                          "p90" as NSString, "max" as NSString, "total" as NSString))
        out.append(summaryRow("turns per conversation", turns))
        out.append(summaryRow("tokens per conversation", tokensPerConversation))
        out.append(summaryRow("tokens per query", tokensPerQuery))
        out.append(summaryRow("tokens per user message", tokensPerUserMessage))
        out.append(summaryRow("tokens per answer", tokensPerAnswer))
        out.append("  (tokens: \(tokenizer), message contents without a chat template)")
        out.append("")
        out.append(row("queries", "\(conversations - withoutQuery) (\(withoutQuery) conversations without one)"))
        out.append(row("distinct queries", "\(distinctQueries)"))
        out.append(row("duplicate queries", String(format: "%d (%.2f%%, after NFKC, lowercase, whitespace collapsed)",
                                                     duplicateQueries, duplicateRate * 100)))
        out.append(row("diversity (self-BLEU)", diversity.map { String(format: "%.2f%%", $0 * 100) } ?? "not computed (TODO: --diversity)"))
        out.append("")
        out.append("tokens per conversation (log-spaced buckets)")
        out.append(contentsOf: histogramLines(barWidth: barWidth))
        out.append("")
        out.append("languages (CLD2, user turns)")
        out.append(contentsOf: languageLines(top: topLanguages))
        out.append("")
        out.append(String(format: "%-16@ %8@ %8@ %8@", "category (rules)" as NSString, "count" as NSString,
                          "share" as NSString, "paper" as NSString))
        for item in categories {
            out.append(String(format: "%-16@ %8d %7.1f%% %8@", item.category as NSString, item.count, item.percent,
                              (item.paperPercent.map { "\($0)%" } ?? "-") as NSString))
        }
        out.append(String(format: "\n%.1f s", seconds))
        return out.joined(separator: "\n")
    }

    /// The statistics as pretty, key-sorted JSON; `diversity` is written as null when not computed (the hook
    /// the diversity engine fills).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        guard diversity == nil, var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return data }
        object["diversity"] = NSNull()
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    func row(_ label: String, _ value: String) -> String {
        String(format: "%-28@ %@", label as NSString, value as NSString)
    }

    func summaryRow(_ label: String, _ summary: CountSummary) -> String {
        String(format: "%-28@ %9.1f %9.1f %9d %9d %12d", label as NSString, summary.mean, summary.median, summary.p90,
               summary.max, summary.total)
    }

    func histogramLines(barWidth: Int) -> [String] {
        let largest = lengthHistogram.map(\.count).max() ?? 0
        return lengthHistogram.map { bucket in
            let label = bucket.upper - bucket.lower == 1 ? "\(bucket.lower)" : "\(bucket.lower)-\(bucket.upper - 1)"
            let length = largest == 0 ? 0 : Int((Double(bucket.count) / Double(largest) * Double(barWidth)).rounded(.up))
            return String(format: "  %13@ %7d %@", label as NSString, bucket.count,
                          String(repeating: "#", count: length) as NSString)
        }
    }

    func languageLines(top: Int) -> [String] {
        let sorted = languages.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        var lines = sorted.prefix(top).map { code, count in
            String(format: "  %-8@ %-16@ %7d %6.1f%%", code as NSString, LanguageID.name(ofCode: code) as NSString, count,
                   conversations == 0 ? 0 : Double(count) * 100 / Double(conversations))
        }
        if sorted.count > top {
            let rest = sorted.dropFirst(top).reduce(0) { $0 + $1.value }
            lines.append(String(format: "  %-25@ %7d (%d more languages)", "others" as NSString, rest, sorted.count - top))
        }
        return lines
    }
}
