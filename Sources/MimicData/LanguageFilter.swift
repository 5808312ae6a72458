// LanguageFilter.swift: keeps the conversations whose language (CLD2, LanguageID) is one of the chosen ones,
// reporting how many of each detected language it saw and removed.
import Foundation
import MimicCore

/// Keeps conversations in chosen languages.
///
/// The text classified is `LanguageID.text(of:scope:)` (user turns by default, code blocks, inline code, URLs and
/// e-mail addresses stripped). A conversation is kept when its top language is in `keep`, or when CLD2 cannot
/// tell (code "un": no user text, only code, or a few words) and `keepUnknown` is set. CLD2's reliability flag
/// does not decide; unreliable guesses are counted in the report.
public struct LanguageFilter: Sendable, Hashable {
    /// Language codes to keep (CLD2 codes: "en", "fr", "zh", "zh-Hant", …).
    public var keep: Set<String>
    /// Which turns are classified.
    public var scope: LanguageScope
    /// Whether conversations CLD2 cannot classify are kept.
    public var keepUnknown: Bool

    /// Creates a filter; the defaults keep English, classify the user turns and keep unknowns.
    public init(keep: Set<String> = ["en"], scope: LanguageScope = .user, keepUnknown: Bool = true) {
        self.keep = keep
        self.scope = scope
        self.keepUnknown = keepUnknown
    }

    /// The decision for one conversation and the guess it rests on.
    public func decide(_ record: ConversationRecord) -> (keep: Bool, guess: LanguageGuess) {
        let guess = LanguageID.detect(messages: record.messages, scope: scope)
        let kept = guess.isUnknown ? keepUnknown : keep.contains(guess.code)
        return (kept, guess)
    }

    /// Streams `input` (conversation JSONL, ShareGPT JSON or another `PromptSource` layout) into `output`
    /// (conversation JSONL, written atomically) keeping the conversations in the chosen languages.
    public func run(input: URL, output: URL, policy: BadInputPolicy = .skip,
                    progress: ((Int) -> Void)? = nil) throws -> LanguageFilterReport {
        var report = LanguageFilterReport(filter: self)
        let writer = try JSONLinesWriter(url: output)
        let read = try ConversationInput.forEach(input, policy: policy) { record, position in
            let (kept, guess) = decide(record)
            report.count(guess, kept: kept, position: position, text: LanguageID.text(of: record.messages, scope: .firstUser))
            if kept { try writer.write(record) }
            progress?(report.seen)
        }
        try writer.finish()
        report.input = read
        return report
    }
}

/// What `LanguageFilter.run` did.
public struct LanguageFilterReport: Codable, Sendable, Hashable {
    /// One removed conversation, for the reader to check the detector.
    public struct Removal: Codable, Sendable, Hashable {
        /// Where it was in the input.
        public var position: String
        /// The detected language code.
        public var language: String
        /// CLD2's percentage for it.
        public var percent: Int
        /// Whether CLD2 called it reliable.
        public var reliable: Bool
        /// The start of its first user message.
        public var snippet: String
        /// Why it was removed.
        public var reason: String
    }

    /// The kept language codes.
    public var keep: [String]
    /// The turns classified.
    public var scope: LanguageScope
    /// Whether unknowns were kept.
    public var keepUnknown: Bool
    /// Conversations read.
    public var seen = 0
    /// Conversations written.
    public var kept = 0
    /// Conversations removed.
    public var removed = 0
    /// Conversations per detected language code (all of them, kept or not).
    public var detected: [String: Int] = [:]
    /// Removed conversations per detected language code.
    public var removedByLanguage: [String: Int] = [:]
    /// Removed conversations per reason ("language xx not kept", "language unknown").
    public var removedByReason: [String: Int] = [:]
    /// Guesses CLD2 did not call reliable (kept or not).
    public var unreliable = 0
    /// The first removed conversations (at most `examplesLimit`).
    public var examples: [Removal] = []
    /// What reading the input found (format, malformed items, where a cut-off file stopped).
    public var input: ConversationInput.Report?

    /// How many removals are kept as examples.
    public static let examplesLimit = 50

    /// An empty report for `filter`.
    public init(filter: LanguageFilter) {
        keep = filter.keep.sorted()
        scope = filter.scope
        keepUnknown = filter.keepUnknown
    }

    mutating func count(_ guess: LanguageGuess, kept isKept: Bool, position: String, text: String) {
        seen += 1
        detected[guess.code, default: 0] += 1
        if !guess.reliable { unreliable += 1 }
        if isKept {
            kept += 1
            return
        }
        removed += 1
        removedByLanguage[guess.code, default: 0] += 1
        let reason = guess.isUnknown ? "language unknown" : "language \(guess.code) not kept"
        removedByReason[reason, default: 0] += 1
        if examples.count < Self.examplesLimit {
            let snippet = String(text.prefix(120)).replacingOccurrences(of: "\n", with: " ")
            examples.append(Removal(position: position, language: guess.code, percent: guess.percent,
                                    reliable: guess.reliable, snippet: snippet, reason: reason))
        }
    }

    /// A few lines for the terminal: totals, then the detected languages, most frequent first.
    public func summary(top: Int = 15) -> String {
        var lines = ["read \(seen), kept \(kept), removed \(removed) (keep: \(keep.joined(separator: ",")); scope: \(scope.rawValue); unreliable guesses: \(unreliable))"]
        for (code, count) in detected.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }).prefix(top) {
            let share = seen > 0 ? Double(count) * 100 / Double(seen) : 0
            let gone = removedByLanguage[code] ?? 0
            let name = LanguageID.name(ofCode: code)
            lines.append("  " + code.padding(toLength: max(8, code.count), withPad: " ", startingAt: 0) + " "
                         + name.padding(toLength: max(14, name.count), withPad: " ", startingAt: 0)
                         + String(format: " %7d  %5.1f%%  removed %d", count, share, gone))
        }
        return lines.joined(separator: "\n")
    }
}
