// A StyleReport as text for the terminal: one row per Table 2 figure, a column for the candidate and one for the
// second teacher sample, then how the items were matched.
import Foundation
import MimicCore
import MimicData
import MimicMetrics

extension StyleReport {
    /// The figures as an aligned table (value, [95% interval], n), then a paragraph per system on its matching.
    public func renderText() -> String {
        let systems = [("candidate", candidate)] + (reference2.map { [("reference2", $0)] } ?? [])
        let rows: [(String, (StyleFigures) -> MetricFigure?, Int)] = [
            ("list_match (%)", { $0.listMatch }, 1),
            ("summary_match (%)", { $0.summaryMatch }, 1),
            ("unigram_intersection", { $0.unigramIntersection }, 1),
            ("length_correlation (r)", { $0.lengthCorrelation }, 2),
            ("authoritative_tone (%)", { $0.authoritativeTone }, 1),
        ]
        let labelWidth = 24, columnWidth = 30
        var out = [pad("figure", labelWidth) + systems.map { " " + pad($0.0, columnWidth) }.joined()]
        for (label, figure, digits) in rows {
            out.append(pad(label, labelWidth) + systems.map { " " + pad(cell(figure($0.1.figures), digits: digits), columnWidth) }.joined())
        }
        out.append("(value [95% bootstrap interval, \(config.bootstrap) resamples, seed \(config.seed)] n = items scored)")
        for (name, result) in systems {
            out.append("")
            out.append(contentsOf: matchingLines(name, result.matching))
        }
        if !notes.isEmpty { out.append("") }
        out.append(contentsOf: notes)
        // The last column is padded too: drop the trailing spaces.
        return out.map { String($0.reversed().drop { $0 == " " }.reversed()) }.joined(separator: "\n")
    }

    /// One figure's cell: `66.7 [33.3, 100.0] n=3`, with why a value or an interval is missing.
    func cell(_ figure: MetricFigure?, digits: Int) -> String {
        guard let figure else { return "needs --judge" }
        let f = { (x: Double) in String(format: "%.\(digits)f", x) }
        guard let value = figure.value else { return "- n=\(figure.n) (\(figure.note ?? "undefined"))" }
        let interval = figure.interval.map { " [\(f($0.lower)), \(f($0.upper))]" } ?? ""
        return f(value) + interval + " n=\(figure.n)" + (figure.note.map { " (\($0))" } ?? "")
    }

    /// How one system's items were matched to the reference's, with the first few items that were not compared.
    func matchingLines(_ name: String, _ m: AnswerMatchReport) -> [String] {
        var lines = ["\(name) \(m.candidateFile): \(m.matched) pairs with \(m.baselineFile) (\(m.matchedById) by meta.id, "
                     + "\(m.matchedByPrompt) by first user message) of \(m.candidateItems) and \(m.baselineItems) items; "
                     + "unmatched \(m.unmatchedCandidate.count) and \(m.unmatchedBaseline.count), duplicates \(m.duplicates.count), "
                     + "unusable \(m.unusable.count)"]
        let notes = m.unusable + m.duplicates + m.unmatchedCandidate + m.unmatchedBaseline
        for note in notes.prefix(5) {
            lines.append("  \(note.system) line \(note.line)\(note.id.map { " (id \($0))" } ?? ""): \(note.reason)")
        }
        if notes.count > 5 { lines.append("  … \(notes.count - 5) more in the JSON (--json or --out)") }
        return lines
    }

    func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
