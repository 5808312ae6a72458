// Pairing two systems' answers to the same prompts: by `meta.id` when both items have one, else by the first user
// message; items without a counterpart, duplicates and items without an answer are reported, never dropped silently.
import Foundation
import MimicCore

/// One item of an answer file as the matcher reads it: its line, its keys and its answer.
public struct AnswerItem: Codable, Sendable, Hashable {
    /// The 1-based line of the file.
    public var line: Int
    /// `meta.id`: a string, or an integer written in decimal (so `7` and `"7"` are the same id); nil for none.
    public var id: String?
    /// The first user message with white space trimmed at both ends; nil when there is no user message.
    public var prompt: String?
    /// The last assistant message, as written; nil when there is none.
    public var answer: String?

    /// The item of `record`, read from line `line`.
    public init(_ record: ConversationRecord, line: Int) {
        self.line = line
        switch record.meta.extra["id"] {
        case .string(let s)?: id = s
        case .int(let i)?: id = String(i)
        default: id = nil
        }
        // Trimmed because the chat templates trim contents: prompts that differ only in surrounding white space were
        // the same input to the model. Nothing else is normalised (case and inner white space count).
        prompt = record.query?.trimmingCharacters(in: .whitespacesAndNewlines)
        answer = record.messages.last { $0.role == "assistant" }?.content
    }
}

/// One system's answers: its name, its file and its items in file order.
public struct AnswerFile: Sendable {
    /// The system's name in reports ("reference", "candidate").
    public var name: String
    /// The file it was read from.
    public var path: String
    /// The items, in file order.
    public var items: [AnswerItem]

    /// A system from items already read.
    public init(name: String, path: String, items: [AnswerItem]) {
        self.name = name
        self.path = path
        self.items = items
    }

    /// Reads conversation JSONL at `path`; a missing file or a malformed line is a `RecordFileError` naming it.
    public static func read(_ path: String, name: String) throws -> AnswerFile {
        var items: [AnswerItem] = []
        _ = try ConversationJSONL.forEach(URL(fileURLWithPath: path), policy: .fail) { record, line in
            items.append(AnswerItem(record, line: line))
        }
        return AnswerFile(name: name, path: path, items: items)
    }
}

/// How a pair was matched.
public enum AnswerKey: String, Codable, Sendable, Hashable {
    /// Both items have the same `meta.id`.
    case id
    /// The items have the same first user message (at least one of them has no `meta.id`).
    case prompt
}

/// Two items answering the same prompt.
public struct AnswerPair: Codable, Sendable, Hashable {
    /// How they were matched.
    public var key: AnswerKey
    /// The baseline's item (the reference).
    public var baseline: AnswerItem
    /// The compared system's item.
    public var candidate: AnswerItem

    /// The baseline's answer (every matched item has one).
    public var baselineAnswer: String { baseline.answer ?? "" }
    /// The compared system's answer.
    public var candidateAnswer: String { candidate.answer ?? "" }
}

/// An item that was not compared, and why.
public struct AnswerItemNote: Codable, Sendable, Hashable {
    /// The system's name.
    public var system: String
    /// The 1-based line of its file.
    public var line: Int
    /// Its `meta.id`, if it has one.
    public var id: String?
    /// The start of its first user message (80 characters at most, new lines as spaces).
    public var prompt: String?
    /// Why it was not compared.
    public var reason: String
    /// For a duplicate: the line of the item that was kept instead.
    public var keptLine: Int?

    enum CodingKeys: String, CodingKey {
        case system, line, id, prompt, reason
        case keptLine = "kept_line"
    }

    init(system: String, item: AnswerItem, reason: String, keptLine: Int? = nil) {
        self.system = system
        line = item.line
        id = item.id
        prompt = item.prompt.map { String($0.prefix(80)).replacingOccurrences(of: "\n", with: " ") }
        self.reason = reason
        self.keptLine = keptLine
    }
}

/// What matching one system against the baseline found.
public struct AnswerMatchReport: Codable, Sendable, Hashable {
    /// The baseline's name and file.
    public var baseline: String
    public var baselineFile: String
    /// The compared system's name and file.
    public var candidate: String
    public var candidateFile: String
    /// Items read from each file.
    public var baselineItems: Int
    public var candidateItems: Int
    /// Pairs made, and how many of them by `meta.id` and by first user message.
    public var matched: Int
    public var matchedById: Int
    public var matchedByPrompt: Int
    /// Items of either file that cannot be compared: no assistant message, or neither a `meta.id` nor a user message.
    public var unusable: [AnswerItemNote]
    /// Later items of a file with the `meta.id` or the first user message of an earlier one (which is kept).
    public var duplicates: [AnswerItemNote]
    /// Usable items of the baseline that no item of the compared system matches.
    public var unmatchedBaseline: [AnswerItemNote]
    /// Usable items of the compared system that match no item of the baseline.
    public var unmatchedCandidate: [AnswerItemNote]

    enum CodingKeys: String, CodingKey {
        case baseline, candidate, matched, unusable, duplicates
        case baselineFile = "baseline_file", candidateFile = "candidate_file", baselineItems = "baseline_items"
        case candidateItems = "candidate_items", matchedById = "matched_by_id", matchedByPrompt = "matched_by_prompt"
        case unmatchedBaseline = "unmatched_baseline", unmatchedCandidate = "unmatched_candidate"
    }
}

/// The pairs of one system against the baseline, in the baseline's file order, with the report.
public struct AnswerMatching: Sendable {
    /// The pairs.
    public var pairs: [AnswerPair]
    /// What was matched, and what was not and why.
    public var report: AnswerMatchReport

    /// Throws `AnswerMatchError.noMatches` when no pair was made.
    public func requireMatches() throws {
        guard pairs.isEmpty else { return }
        throw AnswerMatchError.noMatches(candidateFile: report.candidateFile, candidateItems: report.candidateItems,
                                         baselineFile: report.baselineFile, baselineItems: report.baselineItems)
    }
}

/// Matching that leaves nothing to compare.
public enum AnswerMatchError: Error, LocalizedError, Hashable, Sendable {
    /// No item of the candidate file matches one of the baseline file.
    case noMatches(candidateFile: String, candidateItems: Int, baselineFile: String, baselineItems: Int)

    public var errorDescription: String? {
        switch self {
        case .noMatches(let candidate, let candidateItems, let baseline, let baselineItems):
            return "\(candidate): none of its \(candidateItems) items matches one of the \(baselineItems) items of \(baseline) "
                + "by meta.id or first user message (are both answers to the same prompts, each with an assistant message?)"
        }
    }
}

/// Pairs systems' answers to the same prompts.
public enum AnswerMatcher {
    /// Each of `candidates` against `baseline` (`match(baseline:candidate:)`), in order.
    public static func match(baseline: AnswerFile, candidates: [AnswerFile]) -> [AnswerMatching] {
        candidates.map { match(baseline: baseline, candidate: $0) }
    }

    /// Pairs `candidate`'s items with `baseline`'s. Items without an answer, or without both keys, are unusable.
    /// First by `meta.id` between items that both have one (a later item with an id already seen in its file is a
    /// duplicate); then the items left are matched by first user message (a later item with a prompt already left
    /// in its file is a duplicate), unless both have an id (then their ids differ: they are different items).
    /// Everything not paired is reported.
    public static func match(baseline: AnswerFile, candidate: AnswerFile) -> AnswerMatching {
        var report = AnswerMatchReport(baseline: baseline.name, baselineFile: baseline.path, candidate: candidate.name,
                                       candidateFile: candidate.path, baselineItems: baseline.items.count,
                                       candidateItems: candidate.items.count, matched: 0, matchedById: 0, matchedByPrompt: 0,
                                       unusable: [], duplicates: [], unmatchedBaseline: [], unmatchedCandidate: [])
        var b = usable(baseline, &report), c = usable(candidate, &report)
        var pairs: [AnswerPair] = []

        // 1. By id, between items that both have one.
        let bById = firstByKey(&b, system: baseline.name, kind: "meta.id", key: \.id, &report)
        let cById = firstByKey(&c, system: candidate.name, kind: "meta.id", key: \.id, &report)
        for (id, bi) in bById {
            guard let ci = cById[id], let bItem = b[bi], let cItem = c[ci] else { continue }
            pairs.append(AnswerPair(key: .id, baseline: bItem, candidate: cItem))
            b[bi] = nil
            c[ci] = nil
        }

        // 2. By first user message, among the items left, unless both have an id.
        let bByPrompt = firstByKey(&b, system: baseline.name, kind: "first user message", key: \.prompt, &report)
        let cByPrompt = firstByKey(&c, system: candidate.name, kind: "first user message", key: \.prompt, &report)
        for (prompt, bi) in bByPrompt {
            guard let ci = cByPrompt[prompt], let bItem = b[bi], let cItem = c[ci], bItem.id == nil || cItem.id == nil else { continue }
            pairs.append(AnswerPair(key: .prompt, baseline: bItem, candidate: cItem))
            b[bi] = nil
            c[ci] = nil
        }

        pairs.sort { $0.baseline.line < $1.baseline.line }
        report.matched = pairs.count
        report.matchedById = pairs.count { $0.key == .id }
        report.matchedByPrompt = pairs.count { $0.key == .prompt }
        report.unmatchedBaseline = b.compactMap { $0 }.map {
            AnswerItemNote(system: baseline.name, item: $0, reason: "no item of \(candidate.path) matches it")
        }
        report.unmatchedCandidate = c.compactMap { $0 }.map {
            AnswerItemNote(system: candidate.name, item: $0, reason: "no item of \(baseline.path) matches it")
        }
        report.duplicates.sort { ($0.system, $0.line) < ($1.system, $1.line) }
        return AnswerMatching(pairs: pairs, report: report)
    }

    /// The items of `file` that can be compared (the others noted in the report), nil-able for removal while matching.
    static func usable(_ file: AnswerFile, _ report: inout AnswerMatchReport) -> [AnswerItem?] {
        file.items.map { item in
            if item.answer == nil {
                report.unusable.append(AnswerItemNote(system: file.name, item: item, reason: "no assistant message"))
                return nil
            }
            if item.id == nil && item.prompt == nil {
                report.unusable.append(AnswerItemNote(system: file.name, item: item, reason: "neither a meta.id nor a user message"))
                return nil
            }
            return item
        }
    }

    /// The index of the first item left for each value of `key`; later items with a value already seen are removed
    /// and reported as duplicates of the first.
    static func firstByKey(_ items: inout [AnswerItem?], system: String, kind: String, key: KeyPath<AnswerItem, String?>,
                           _ report: inout AnswerMatchReport) -> [String: Int] {
        var first: [String: Int] = [:]
        for i in items.indices {
            guard let item = items[i], let value = item[keyPath: key] else { continue }
            if let kept = first[value], let keptItem = items[kept] {
                report.duplicates.append(AnswerItemNote(system: system, item: item, reason: "same \(kind) as line \(keptItem.line)",
                                                        keptLine: keptItem.line))
                items[i] = nil
            } else {
                first[value] = i
            }
        }
        return first
    }
}
