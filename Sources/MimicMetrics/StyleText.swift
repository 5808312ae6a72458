// The per-reply tests behind the paper's Table 2 style figures: fenced code blocks removed, "has a list", "ends
// with a summary paragraph", and the word count.
import Foundation

/// The per-reply style tests of Table 2 (Gudibande et al., 2023, "The False Promise of Imitating Proprietary LLMs").
///
/// Text is read scalar by scalar with Python's rules (`PythonText`), as the reference script
/// `scripts/reference/style_golden.py` reads it: lines are split on "\n" only (a "\r" before it is white space, so
/// CRLF text reads the same); white space is `str.isspace()`; a digit is a decimal digit of any script (`\d`).
public enum StyleText {
    /// The openings of a summary paragraph, compared with the paragraph's start in lower case (`str.lower()`).
    public static let summaryOpenings = ["overall", "in summary", "in conclusion", "to summarize", "to summarise", "to sum up",
                                         "in short", "ultimately", "all in all", "in general"]

    /// The lines of `text` (split on "\n") that are outside fenced code blocks. A fence is a line whose first
    /// non-blank characters are "```"; a block runs from one fence to the next, both removed; a fence that is never
    /// closed removes everything after it. The lines are removed, not blanked: text on both sides of a block joins.
    public static func linesOutsideCode(_ text: String) -> [ArraySlice<Unicode.Scalar>] {
        var kept: [ArraySlice<Unicode.Scalar>] = []
        var inside = false
        for line in lines(text) {
            if isFence(line) {
                inside.toggle()
            } else if !inside {
                kept.append(line)
            }
        }
        return kept
    }

    /// Whether the reply has a list: at least 2 lines outside code blocks match `^\s*([-*+•]|\d+[.)])\s+\S`.
    public static func hasList(_ text: String) -> Bool {
        var count = 0
        for line in linesOutsideCode(text) where isListLine(line) {
            count += 1
            if count >= 2 { return true }
        }
        return false
    }

    /// Whether the reply ends with a summary paragraph: outside code blocks it has at least 2 paragraphs (runs of
    /// lines that are not blank; a blank line is empty or white space only), and the last one, once its leading white
    /// space, `#`, `*` and `>` are stripped, starts with one of `summaryOpenings`, ignoring case.
    public static func endsWithSummary(_ text: String) -> Bool {
        let paragraphs = paragraphs(linesOutsideCode(text))
        guard paragraphs.count >= 2, let last = paragraphs.last else { return false }
        // Leading markup may span lines ("##" alone on the first line of the paragraph), so strip over the joined text.
        let joined = Array(last.joined(separator: [Unicode.Scalar("\n")]))
        guard let start = joined.firstIndex(where: { !(PythonText.isSpace($0) || $0 == "#" || $0 == "*" || $0 == ">") }) else {
            return false
        }
        // The longest opening has 13 scalars; lower-casing never shortens text, so 32 scalars are enough to compare.
        let head = String(String.UnicodeScalarView(joined[start...].prefix(32)))
        let lowered = String(String.UnicodeScalarView(PythonText.lower(head)))
        return summaryOpenings.contains { lowered.unicodeScalars.starts(with: $0.unicodeScalars) }
    }

    /// The number of words: runs of text between white space, as Python's `str.split()` counts them.
    public static func wordCount(_ text: String) -> Int {
        PythonText.split(text).count
    }

    /// Whether `line` opens or closes a fenced code block: "```" after any leading white space.
    static func isFence(_ line: ArraySlice<Unicode.Scalar>) -> Bool {
        line.drop { PythonText.isSpace($0) }.starts(with: ["`", "`", "`"])
    }

    /// Whether `line` is a list item, `^\s*([-*+•]|\d+[.)])\s+\S` (the line holds no "\n").
    static func isListLine(_ line: ArraySlice<Unicode.Scalar>) -> Bool {
        var i = line.startIndex
        while i < line.endIndex, PythonText.isSpace(line[i]) { i += 1 }
        guard i < line.endIndex else { return false }
        if ["-", "*", "+", "\u{2022}"].contains(line[i]) {
            i += 1
        } else {
            let digits = i
            while i < line.endIndex, line[i].properties.numericType == .decimal { i += 1 }
            guard i > digits, i < line.endIndex, line[i] == "." || line[i] == ")" else { return false }
            i += 1
        }
        let spaces = i
        while i < line.endIndex, PythonText.isSpace(line[i]) { i += 1 }
        return i > spaces && i < line.endIndex
    }

    /// The lines of `text`, split on "\n" (an empty text is one empty line).
    static func lines(_ text: String) -> [ArraySlice<Unicode.Scalar>] {
        Array(text.unicodeScalars).split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// The paragraphs of `lines`: maximal runs of lines that are not blank.
    static func paragraphs(_ lines: [ArraySlice<Unicode.Scalar>]) -> [[ArraySlice<Unicode.Scalar>]] {
        var paragraphs: [[ArraySlice<Unicode.Scalar>]] = [], current: [ArraySlice<Unicode.Scalar>] = []
        for line in lines {
            if line.allSatisfy(PythonText.isSpace) {
                if !current.isEmpty { paragraphs.append(current) }
                current = []
            } else {
                current.append(line)
            }
        }
        if !current.isEmpty { paragraphs.append(current) }
        return paragraphs
    }
}
