// TokenCounter: how many tokens a conversation has, for length bounds, budgets and mixing (`mimic data`) and for
// `mimic train --max-tokens`, so both count alike: a tokenizer's tokens of the contents, or white-space words.
import Foundation
import MimicCore

/// Counts the tokens of a text. Conversations count the sum over their messages' contents (no chat-template
/// tokens), so counts do not depend on the template.
public struct TokenCounter: Sendable {
    /// What is counted: "words" or the tokenizer's source.
    public let name: String
    let count: @Sendable (String) -> Int

    /// A counter from a closure.
    public init(name: String, _ count: @escaping @Sendable (String) -> Int) {
        self.name = name
        self.count = count
    }

    /// Words: runs of non-white-space characters. Needs no model; about 0.75 of a BPE token count for English.
    public static let words = TokenCounter(name: "words") { text in
        var n = 0
        var inWord = false
        for scalar in text.unicodeScalars {
            let space = scalar.properties.isWhitespace
            if !space && !inWord { n += 1 }
            inWord = !space
        }
        return n
    }

    /// Tokens of `tokenizer` (without BOS, special-token text treated as plain text).
    public static func tokenizer(_ tokenizer: any Tokenizer, name: String) -> TokenCounter {
        TokenCounter(name: name) { tokenizer.encode($0, addBOS: false, parseSpecial: false).count }
    }

    /// The tokens of `text`.
    public func callAsFunction(_ text: String) -> Int { count(text) }

    /// The tokens of every message of `record`, summed.
    public func tokens(of record: ConversationRecord) -> Int { tokens(of: record.messages) }

    /// The tokens of every message's content, summed (no chat-template tokens).
    public func tokens(of messages: [ChatMessage]) -> Int {
        messages.reduce(0) { $0 + count($1.content) }
    }

    /// The token count of every record, computed on every core.
    public func tokens(of records: [ConversationRecord]) -> [Int] {
        var counts = [Int](repeating: 0, count: records.count)
        let chunk = 256
        let chunks = (records.count + chunk - 1) / chunk
        counts.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                for i in (c * chunk)..<min(records.count, (c + 1) * chunk) { base?[i] = tokens(of: records[i]) }
            }
        }
        return counts
    }
}
