// Record filters by rule: length bounds in tokens, and the coding-prompt filter (the paper left coding prompts
// out of its human-evaluation set).
import Foundation
import MimicCore
import MimicTokenizers

/// Keeps conversations whose token count lies within bounds.
public enum LengthFilter {
    /// What the bounds apply to.
    public enum Scope: String, ConfigChoice {
        /// The first user message.
        case query
        /// Every message, summed.
        case conversation
    }

    /// Keeps records with `minTokens <= tokens <= maxTokens` (either bound optional). Reasons: "too-short",
    /// "too-long"; the examples give the count. A record without a user turn has a 0-token query.
    public static func run(_ records: [ConversationRecord], minTokens: Int? = nil, maxTokens: Int? = nil,
                           scope: Scope = .conversation, counter: TokenCounter = .words) -> FilterResult {
        var report = FilterReport(filter: "length")
        report.input = records.count
        report.details = ["counter": .string(counter.name), "scope": .string(scope.rawValue)]
        if let minTokens { report.details["min_tokens"] = .int(minTokens) }
        if let maxTokens { report.details["max_tokens"] = .int(maxTokens) }
        let counts: [Int]
        switch scope {
        case .conversation: counts = counter.tokens(of: records)
        case .query: counts = records.map { counter($0.query ?? "") }
        }
        var kept: [ConversationRecord] = []
        for (index, record) in records.enumerated() {
            let n = counts[index]
            if let minTokens, n < minTokens {
                report.remove("too-short", example: "\(ExactDedup.label(record, index)) (\(n) tokens): \(record.query ?? "")")
            } else if let maxTokens, n > maxTokens {
                report.remove("too-long", example: "\(ExactDedup.label(record, index)) (\(n) tokens): \(record.query ?? "")")
            } else {
                kept.append(record)
            }
        }
        report.kept = kept.count
        return FilterResult(kept: kept, report: report)
    }
}

/// Recognises coding prompts by rules. A query is a coding prompt when any rule fires:
/// - `code-fence`: a Markdown fence (``` or ~~~);
/// - `stack-trace`: a Python traceback, a Java/JS stack frame, or a typical error name (`TypeError:`,
///   `NullPointerException`, `segmentation fault`, `undefined reference to`);
/// - `code-request`: a verb (write, create, implement, generate, code, fix, debug, refactor, optimize, convert,
///   translate) followed within 80 characters by a code noun (function, program, script, code, class, method,
///   snippet, algorithm, SQL query, regex, unit test, API endpoint…);
/// - `code-syntax`: source-code lines (`def f(`, `function f(`, `#include <`, `public static void`,
///   `console.log(`, `import x` / `from x import y` at a line start, `SELECT … FROM`, a line ending in `{` or `;`)
///   — two such signals, or one plus a language name;
/// - `programming-term`: a term that is nearly always about programming (regex, list comprehension, DataFrame,
///   JavaScript, TypeScript, C++, Golang, NumPy, jQuery, Node.js, "SQL query", `console.log(`, chained calls);
/// - `language-and-code-word`: a programming-language or tool name (Python, JavaScript, TypeScript, Java, C++,
///   C#, Golang, Rust, Kotlin, Swift, SQL, HTML, CSS, Bash, React, Node.js, pandas, numpy, Django, regex…)
///   together with a programming word (code, function, compile, syntax, bug, library, variable, array, loop,
///   class, method, error, API, script, program).
/// The rules favour precision: "Java" the island or "rust" the corrosion need a programming word as well.
public enum CodingPromptFilter {
    static func regex(_ pattern: String) -> NSRegularExpression? {
        try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
    }

    static let fence = regex(#"(^|\n)\s*(```|~~~)"#)
    static let trace = regex(#"traceback \(most recent call last\)|exception in thread|\bat [\w.$<>]+\([\w]+\.(java|kt|scala):\d+\)|\bat .+ \(.+\.(js|ts):\d+:\d+\)|\b(type|value|key|index|attribute|syntax|name|reference|import|runtime|module ?notfound)error\b:|nullpointerexception|segmentation fault|undefined reference to|stack ?overflow ?error|cannot find symbol"#)
    static let request = regex(#"\b(write|writing|create|implement|generate|code|coding|fix|debug|refactor|optimi[sz]e|convert|translate|build|give me|show me)\b[^.?!\n]{0,80}?\b(function|program|script|code|class|method|snippet|algorithm|sql query|query in sql|regex|regular expression|unit tests?|api endpoint|rest api|endpoint|shell command|bash command|one-liner|leetcode|compiler|dockerfile|makefile)s?\b"#)
    static let syntax: [NSRegularExpression] = [
        #"(^|\n)\s*def \w+\s*\("#, #"\bfunction\s*\w*\s*\([^)]*\)\s*\{"#, #"(^|\n)\s*#include\s*<"#,
        #"public\s+(static\s+)?(void|class|int|string)\b"#, #"console\.log\("#, #"(^|\n)\s*(import \w+|from [\w.]+ import)"#,
        #"\bselect\b[^;\n]{1,200}\bfrom\b[^;\n]{1,100}\b(where|join|group by|order by|;)"#, #"[{;]\s*(\n|$)"#,
        #"(^|\n)\s*(int|void|char|double|float)\s+\w+\s*[(=;]"#, #"\w+\s*=\s*\w+\([^)]*\)\s*(\n|$)"#,
        #"</?(div|span|html|body|script)[^>]*>"#, #"\$\s*(pip|npm|git|sudo|apt|docker|cd|ls)\s"#,
    ].compactMap { regex($0) }
    static let language = regex(#"\b(python|javascript|typescript|java|c\+\+|c#|golang|rust|kotlin|swift|sql|mysql|postgres(ql)?|html|css|bash|shell script|powershell|php|ruby|perl|scala|haskell|matlab|react(\.js|js)?|node\.?js|vue|angular|django|flask|pandas|numpy|pytorch|tensorflow|regex|jquery|json|yaml|docker|kubernetes|git|linux command|excel formula|vba|solidity|unity|c programming|c language)\b|\bin c\b"#)
    static let strong = regex(#"\b(regex|regexp|regular expressions?|list comprehensions?|dataframes?|javascript|typescript|golang|numpy|jquery|node\.js|sql query|leetcode|stack overflow error)\b|c\+\+|console\.log\(|\w+\.\w+\([^)]*\)\.\w+\("#)
    static let codeWord = regex(#"\b(code|coding|component|components|function|functions|compile[sdr]?|compil(ing|ation)|syntax|bug|bugs|debug|library|libraries|variable|variables|array|arrays|loop|loops|class|classes|method|methods|error|errors|api|script|program|programming|implement(ation)?|module|package|framework|query|queries|database|string|integer|dataframe|object|objects)\b"#)

    static func fires(_ re: NSRegularExpression?, _ text: String) -> Bool {
        guard let re else { return false }
        return re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// The name of the first rule that marks `text` as a coding prompt, or nil.
    public static func rule(for text: String) -> String? {
        if fires(fence, text) { return "code-fence" }
        if fires(trace, text) { return "stack-trace" }
        if fires(request, text) { return "code-request" }
        if fires(strong, text) { return "programming-term" }
        let signals = syntax.filter { fires($0, text) }.count
        let mentionsLanguage = fires(language, text)
        if signals >= 2 || (signals == 1 && mentionsLanguage) { return "code-syntax" }
        if mentionsLanguage && fires(codeWord, text) { return "language-and-code-word" }
        return nil
    }

    /// Whether `text` is a coding prompt.
    public static func isCoding(_ text: String) -> Bool { rule(for: text) != nil }

    /// Drops conversations whose query is a coding prompt; the reason is "coding:RULE".
    public static func run(_ records: [ConversationRecord]) -> FilterResult {
        var report = FilterReport(filter: "drop-code")
        report.input = records.count
        var kept: [ConversationRecord] = []
        for (index, record) in records.enumerated() {
            if let query = record.query, let rule = rule(for: query) {
                report.remove("coding:\(rule)", example: "\(ExactDedup.label(record, index)): \(query)")
            } else {
                kept.append(record)
            }
        }
        report.kept = kept.count
        return FilterResult(kept: kept, report: report)
    }
}
