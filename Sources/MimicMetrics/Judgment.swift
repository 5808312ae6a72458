// One line of a judgments file: a judge's verdict on one item shown in one order, already mapped back to the two
// systems. `mimic judge` writes these; `mimic judge summarize` reads them, from Mimic or from anywhere else.
import Foundation
import MimicCore

/// A judge's verdict on one item in one order (one line of `judgments.jsonl`).
public struct Judgment: Codable, Sendable, Hashable {
    /// Which answer was shown first.
    public enum Order: String, ConfigChoice {
        /// A first, B second.
        case ab
        /// B first, A second.
        case ba
    }

    /// Which system the judge preferred (whichever position it was in), or why there is no verdict.
    public enum Verdict: String, ConfigChoice {
        case a, b, tie
        /// The judge's text had no verdict that could be read (or the request failed): never a win, loss or tie.
        case error
    }

    /// The item (its `meta.id`, or a hash of its prompt).
    public var id: String
    /// The order the answers were shown in.
    public var order: Order
    /// The verdict, mapped to the systems.
    public var verdict: Verdict
    /// Whitespace-separated words of A's and B's answers (`StyleText.wordCount`).
    public var aWords: Int
    public var bWords: Int
    /// The systems' names (their files or models).
    public var a: String?
    public var b: String?
    /// The prompt the answers reply to.
    public var prompt: String?
    /// The judge model and the hash of the judge prompt template.
    public var judge: String?
    public var template: String?
    /// The judge's whole reply.
    public var judgeText: String?
    /// The request's key in the request cache.
    public var requestKey: String?
    /// Why the verdict is `error`.
    public var problem: String?
    /// Scores, for a judge prompt that gives each answer a score (A's and B's, as shown to the systems).
    public var aScore: Double?
    public var bScore: Double?

    enum CodingKeys: String, CodingKey {
        case id, order, verdict, a, b, prompt, judge, template, problem
        case aWords = "a_words", bWords = "b_words", judgeText = "judge_text", requestKey = "request_key"
        case aScore = "a_score", bScore = "b_score"
    }

    /// An item's verdict from its two orders: both valid and agreeing: that; disagreeing: a tie; one an error or
    /// missing: the other; nil when neither is valid.
    public static func combined(ab: Verdict?, ba: Verdict?) -> Verdict? {
        let valid = [ab, ba].compactMap { $0 }.filter { $0 != .error }
        if valid.count == 2 { return valid[0] == valid[1] ? valid[0] : .tie }
        return valid.first
    }

    /// A judgment with the fields a summary reads (the rest nil).
    public init(id: String, order: Order, verdict: Verdict, aWords: Int, bWords: Int) {
        self.id = id
        self.order = order
        self.verdict = verdict
        self.aWords = aWords
        self.bWords = bWords
    }
}
