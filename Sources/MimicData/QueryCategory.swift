// QueryCategory.swift: the rule-based category of a user query, after the paper's Table 6 (a manual review of
// 50 ShareGPT queries: Generation 31%, General QA 16, Coding 16, Brainstorming 8, Chat 6, Summarization 4,
// Rewrite 2, Non-English 14, Invalid 2).
import Foundation
import MimicCore

/// The categories of the paper's Table 6, plus `other` for a query no rule matches.
public enum QueryCategory: String, Codable, Sendable, CaseIterable {
    case generation = "Generation"
    case generalQA = "General QA"
    case coding = "Coding"
    case brainstorming = "Brainstorming"
    case chat = "Chat"
    case summarization = "Summarization"
    case rewrite = "Rewrite"
    case nonEnglish = "Non-English"
    case invalid = "Invalid"
    case other = "Other"

    /// The share (percent) the paper's Table 6 reports; nil for `other`, which it does not have.
    public var paperPercent: Int? {
        switch self {
        case .generation: return 31
        case .generalQA: return 16
        case .coding: return 16
        case .brainstorming: return 8
        case .chat: return 6
        case .summarization: return 4
        case .rewrite: return 2
        case .nonEnglish: return 14
        case .invalid: return 2
        case .other: return nil
        }
    }
}

/// Puts a query into a `QueryCategory` by rules tried in this order, the first match deciding:
///
/// 1. Invalid: fewer than 2 letters after trimming (empty, digits or punctuation only).
/// 2. Non-English: CLD2 reliably names a language other than English for the query (code and URLs stripped;
///    an unreliable guess, common for a few words, does not count).
/// 3. Coding: a fenced code block, a line that looks like code (`def `, `import `, `#include`, `function`,
///    `SELECT … FROM`, a line ending in `;` or `{`), or a programming word (python, javascript, sql, regex, api,
///    compile, bug, stack trace, function, class, …).
/// 4. Summarization: summar(y|ise|ize), tl;dr, key/main points, "in a nutshell".
/// 5. Rewrite: rewrite, rephrase, paraphrase, proofread, polish, "correct the grammar", "make it (more|shorter|…)",
///    "improve this", translate.
/// 6. Chat: a greeting or small talk (hi, hello, thanks, how are you) or role play ("act as", "pretend",
///    "let's play", "you are a").
/// 7. Brainstorming: ideas, brainstorm, suggest(ions), "give me N", "list of", "ways to", tips, names for.
/// 8. Generation: write, compose, create, generate, draft, provide, "make/give (me) a", or a form (poem, story,
///    essay, email, letter, blog, article, outline, song, lyrics, tweet, slogan, description, speech, cover letter).
/// 9. General QA: opens with a question word (what, why, how, who, when, where, which, is, are, can, does, do,
///    should, explain, define, tell me, describe, compare) or contains a question mark.
/// 10. Other.
public enum QueryCategorizer {
    /// The category of `query`; `language` is its CLD2 guess (pass nil to have it computed).
    public static func categorize(_ query: String, language: LanguageGuess? = nil) -> QueryCategory {
        let trimmed = query.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.unicodeScalars.filter({ CharacterSet.letters.contains($0) }).count < 2 { return .invalid }
        let guess = language ?? LanguageID.detect(LanguageID.prepare(trimmed))
        if !guess.isUnknown && guess.code != "en" && guess.reliable { return .nonEnglish }
        let text = trimmed.lowercased()
        let range = NSRange(text.startIndex..., in: text)
        for (category, patterns) in rules where patterns.contains(where: { $0.firstMatch(in: text, range: range) != nil }) {
            return category
        }
        return .other
    }

    static let rules: [(QueryCategory, [NSRegularExpression])] = [
        (.coding, compile([
            "```", "(?m)^\\s*(def |import |from \\S+ import |#include|public |private |function |const |let |var |class \\w+)",
            "(?m)[;{]\\s*$", "\\bselect\\b[\\s\\S]*\\bfrom\\b",
            "\\bc(\\+\\+|#)", "\\b(python|javascript|typescript|java|golang|rust|kotlin|swift|php|ruby|sql|html|css|react|node\\.?js|django|flask|pandas|numpy|regex|bash|shell script|powershell|api|json|yaml|dockerfile|docker|kubernetes|git|compile[rs]?|debug|bug|stack trace|exception|function|method|algorithm|code|coding|programming|python script|leetcode|excel formula|vba)\\b",
        ])),
        (.summarization, compile(["\\bsummar(y|ies|ise|ize|ising|izing)\\b", "\\btl;?dr\\b", "\\b(key|main) (points|takeaways)\\b", "\\bin a nutshell\\b"])),
        (.rewrite, compile([
            "\\b(rewrite|re-write|rephrase|paraphrase|proofread|reword|polish)\\b", "\\bcorrect (the |my |this )?(grammar|spelling)",
            "\\bmake (it|this) (more|less|shorter|longer|better|formal|casual|concise)", "\\bimprove (this|my|the following)",
            "\\btranslate\\b", "\\bedit (this|my|the following)",
        ])),
        (.chat, compile([
            "^(hi|hello|hey|yo|good (morning|evening|afternoon)|thanks|thank you|ok|okay|cool|nice)\\b[\\s!.,?]*$",
            "^(hi|hello|hey)\\b", "\\bhow are you\\b", "\\b(act as|pretend (to be|you are)|let'?s play|role ?play)\\b",
            "^you are (a|an|my)\\b",
        ])),
        (.brainstorming, compile([
            "\\b(ideas?|brainstorm\\w*|suggest\\w*|recommend\\w*|tips|names? for)\\b", "\\bgive me \\d+\\b",
            "\\blist (of|some|\\d+)\\b", "\\bways to\\b", "\\b\\d+ (ideas|ways|names|examples|things)\\b",
        ])),
        (.generation, compile([
            "\\b(write|compose|create|generate|draft|produce|craft|provide)\\b", "\\b(make|give) (me )?(a|an|some|up)\\b",
            "\\b(poem|story|essay|e-?mail|letter|blog|article|outline|song|lyrics|tweet|slogan|description|speech|caption|script|post|haiku|limerick)\\b",
        ])),
        (.generalQA, compile([
            "^(what|why|how|who|whom|whose|when|where|which|is|are|was|were|can|could|does|do|did|should|would|will|explain|define|tell me|describe|compare)\\b",
            "\\?",
        ])),
    ]

    static func compile(_ patterns: [String]) -> [NSRegularExpression] {
        patterns.compactMap { try? NSRegularExpression(pattern: $0) }
    }
}
