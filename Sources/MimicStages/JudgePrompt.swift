// A judge prompt (a data file in judges/): its kind, system message and template, its hash, and how a judge's
// reply to it is read. Replies are untrusted text: a verdict is taken only when it is unambiguous.
import Foundation
import MimicCore
import MimicEval
import MimicMetrics
import MimicTeacher
import Yams

/// A judge prompt read from a YAML file (`kind`, `system`, `template`).
public struct JudgePrompt: Sendable, Hashable {
    /// What the judge is asked for.
    public enum Kind: String, ConfigChoice {
        /// A pairwise verdict: `[[A]]`, `[[B]]` or `[[C]]` (a tie) for the answers as shown.
        case verdict
        /// Paired scores 1–10 (the first line: the first answer's, then the second's); the higher wins.
        case scores
        /// A yes/no rubric on one answer: `[[YES]]` or `[[NO]]`.
        case rubric
        /// A pairwise choice read from probabilities, not text: the judge is asked to answer with one letter, A or
        /// B, and the verdict is whichever of the two is likelier among its first token's alternatives
        /// (`top_logprobs`), as alpaca_eval's logprob annotators read a judge. A judge too weak to write a
        /// verdict tag still gives one; neither letter among the alternatives is an error.
        case choice
    }

    /// What a reply says, for the answers as shown.
    public enum Reading: Equatable, Sendable {
        /// The first shown, the second shown, or a tie; with the scores when the prompt asks for them.
        case first(scores: (Double, Double)?), second(scores: (Double, Double)?), tie(scores: (Double, Double)?)
        /// A rubric's answer.
        case yes, no
        /// Nothing could be read; why.
        case unreadable(String)

        public static func == (l: Reading, r: Reading) -> Bool {
            switch (l, r) {
            case (.first(let a), .first(let b)), (.second(let a), .second(let b)), (.tie(let a), .tie(let b)):
                return a?.0 == b?.0 && a?.1 == b?.1
            case (.yes, .yes), (.no, .no): return true
            case (.unreadable(let a), .unreadable(let b)): return a == b
            default: return false
            }
        }
    }

    /// The file it was read from.
    public var path: String
    public var kind: Kind
    /// The system message (nil for none).
    public var system: String?
    /// The user message, with `{question}`, `{answer_1}` and `{answer_2}` (or `{answer}` for a rubric).
    public var template: String
    /// SHA-256 of the file's bytes: recorded with every judgment.
    public var hash: String

    /// Reads and checks `path`; a problem is a `ConfigError` naming the file and what to fix.
    public static func load(_ path: String) throws -> JudgePrompt {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ConfigError(field: "prompt", problem: "cannot read \(path)", hint: "the judge prompts are in judges/")
        }
        struct File: Decodable { var kind: Kind; var system: String?; var template: String }
        let file: File
        do {
            _ = try YAMLGuard.compose(String(decoding: data, as: UTF8.self))
            file = try YAMLDecoder().decode(File.self, from: data)
        } catch {
            throw ConfigError(field: "prompt", problem: "\(path) is not a judge prompt (kind, system, template): \(error)")
        }
        let needs = file.kind == .rubric ? ["{question}", "{answer}"] : ["{question}", "{answer_1}", "{answer_2}"]
        for placeholder in needs where !file.template.contains(placeholder) {
            throw ConfigError(field: "prompt", problem: "\(path): the template has no \(placeholder)",
                              hint: "a \(file.kind.rawValue) prompt needs " + needs.joined(separator: ", "))
        }
        return JudgePrompt(path: path, kind: file.kind, system: file.system, template: file.template, hash: SHA256.hex(data))
    }

    /// The chat messages asking about `answers` (two, in the order shown; one for a rubric).
    public func messages(question: String, answers: [String]) -> [ChatMessage] {
        // One pass over the template, so text inside the question or an answer is never taken for a placeholder.
        var values = ["question": question]
        if kind == .rubric { values["answer"] = answers.first ?? "" } else {
            values["answer_1"] = answers.first ?? ""
            values["answer_2"] = answers.count > 1 ? answers[1] : ""
        }
        var out = "", rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            if let close = rest[open...].firstIndex(of: "}"), let value = values[String(rest[rest.index(after: open)..<close])] {
                out += value
                rest = rest[rest.index(after: close)...]
            } else {
                out.append("{")
                rest = rest[rest.index(after: open)...]
            }
        }
        out += rest
        return (system.map { [ChatMessage(role: "system", content: $0)] } ?? []) + [ChatMessage(role: "user", content: out)]
    }

    /// The first token's alternatives a `choice` prompt is read from.
    public static let choiceAlternatives = 20

    /// What a `choice` judge's first token says: A or B, whichever has more probability among the alternatives
    /// (each letter's variants, such as " A" and "a", summed); equal is a tie.
    public func read(logprobs: ChatLogprobs?) -> (reading: Reading, text: String) {
        guard let first = logprobs?.content?.first else {
            return (.unreadable("the judge returned no log-probabilities (it needs logprobs and top_logprobs)"), "")
        }
        var mass = ["A": 0.0, "B": 0.0]
        var seen: Set<String> = []
        for alternative in [ChatLogprobs.Entry.Alternative(token: first.token, logprob: first.logprob)] + (first.topLogprobs ?? [])
        where seen.insert(alternative.token).inserted {
            let letter = alternative.token.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
            if mass[letter] != nil { mass[letter]! += exp(alternative.logprob) }
        }
        let (a, b) = (mass["A"]!, mass["B"]!)
        let text = String(format: "first token %@; P(A) %.4f, P(B) %.4f", "\"\(first.token)\"", a, b)
        if a == 0 && b == 0 { return (.unreadable("neither A nor B among the first token's alternatives"), text) }
        return (a > b ? .first(scores: nil) : a < b ? .second(scores: nil) : .tie(scores: nil), text)
    }

    /// What `reply` says (see `Self.tags` for verdicts and rubrics, `Self.scores` for scores).
    public func read(_ reply: String) -> Reading {
        switch kind {
        case .choice:
            return .unreadable("a choice prompt is read from log-probabilities, not text")
        case .verdict:
            switch Self.tag(in: reply, among: ["A", "B", "C"]) {
            case .success("A"): return .first(scores: nil)
            case .success("B"): return .second(scores: nil)
            case .success: return .tie(scores: nil)
            case .failure(let problem): return .unreadable(problem.text)
            }
        case .rubric:
            switch Self.tag(in: reply, among: ["YES", "NO"]) {
            case .success("YES"): return .yes
            case .success: return .no
            case .failure(let problem): return .unreadable(problem.text)
            }
        case .scores:
            guard let (s1, s2) = Self.scores(in: reply) else {
                return .unreadable("no two scores from 1 to 10 on the first line")
            }
            return s1 > s2 ? .first(scores: (s1, s2)) : s1 < s2 ? .second(scores: (s1, s2)) : .tie(scores: (s1, s2))
        }
    }

    struct Problem: Error { var text: String }

    /// The one verdict tag `[[X]]` (X among `tags`, any case) the reply gives. Tags between quotes (`"[[A]]"`,
    /// `'[[B]]'`, `` `[[C]]` ``) are mentions of the format, not verdicts, and are ignored. No tag, or two different
    /// ones, is a failure: an ambiguous reply is never counted.
    static func tag(in reply: String, among tags: [String]) -> Result<String, Problem> {
        let chars = Array(reply)
        var found = Set<String>()
        var i = 0
        while i + 1 < chars.count {
            guard chars[i] == "[", chars[i + 1] == "[", let close = closing(chars, from: i + 2) else {
                i += 1
                continue
            }
            let inside = String(chars[(i + 2)..<close]).trimmingCharacters(in: .whitespaces).uppercased()
            let before = i > 0 ? chars[i - 1] : " ", after = close + 2 < chars.count ? chars[close + 2] : " "
            let quoted = "\"'`“‘".contains(before) && "\"'`”’".contains(after)
            if tags.contains(inside) && !quoted { found.insert(inside) }
            i = close + 2
        }
        let shown = tags.map { "[[\($0)]]" }.joined(separator: ", ")
        if found.isEmpty { return .failure(Problem(text: "no verdict tag (\(shown)) in the reply")) }
        if found.count > 1 {
            return .failure(Problem(text: "more than one verdict tag: " + found.sorted().map { "[[\($0)]]" }.joined(separator: " and ")))
        }
        return .success(found.first!)
    }

    /// The index of the `]]` closing a tag opened before `from`, if it comes within a short tag.
    static func closing(_ chars: [Character], from: Int) -> Int? {
        var j = from
        while j + 1 < chars.count && j - from <= 8 {
            if chars[j] == "]" && chars[j + 1] == "]" { return j }
            j += 1
        }
        return nil
    }

    /// Two scores from 1 to 10 on the reply's first non-blank line (separated by spaces or a comma, `8/10` read
    /// as 8), as Vicuna's judge gives them; nil otherwise.
    static func scores(in reply: String) -> (Double, Double)? {
        guard let line = reply.split(whereSeparator: \.isNewline).first(where: { !$0.allSatisfy(\.isWhitespace) }) else { return nil }
        let numbers = line.replacingOccurrences(of: "/10", with: "").split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" })
            .compactMap { Double($0.trimmingCharacters(in: CharacterSet(charactersIn: "[]()*"))) }
        guard numbers.count == 2, numbers.allSatisfy({ (1...10).contains($0) }) else { return nil }
        return (numbers[0], numbers[1])
    }
}
