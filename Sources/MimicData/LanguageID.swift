// LanguageID.swift: language identification with CLD2 (through the CCLD2 shim) and the text of a conversation
// that is classified.
import CCLD2
import Foundation
import MimicCore
import MimicTokenizers

/// One of CLD2's top three languages and its share of the text.
public struct LanguageShare: Codable, Sendable, Hashable {
    /// CLD2's language code ("en", "zh", "zh-Hant", "un" for unknown).
    public var code: String
    /// Percentage (0...100) of the scored text in this language.
    public var percent: Int

    /// Creates a share.
    public init(code: String, percent: Int) { (self.code, self.percent) = (code, percent) }
}

/// What CLD2 says about one text.
public struct LanguageGuess: Codable, Sendable, Hashable {
    /// The code of the most likely language; `LanguageID.unknownCode` ("un") when CLD2 cannot tell (empty or very
    /// short text, only digits and punctuation, invalid UTF-8).
    public var code: String
    /// CLD2's English name of the language in capitals ("ENGLISH"), "Unknown" for "un".
    public var name: String
    /// Percentage (0...100) of the scored text in the top language.
    public var percent: Int
    /// CLD2's reliability flag: the top language is clearly ahead of the second and the text is long enough.
    public var reliable: Bool
    /// The top three languages with their percentages (unknown slots left out).
    public var top3: [LanguageShare]
    /// Bytes of letters that CLD2 scored (after it skips digits, punctuation and, for HTML, tags).
    public var textBytes: Int

    /// Whether CLD2 could not name a language.
    public var isUnknown: Bool { code == LanguageID.unknownCode }

    /// Creates a guess.
    public init(code: String, name: String, percent: Int, reliable: Bool, top3: [LanguageShare], textBytes: Int) {
        self.code = code
        self.name = name
        self.percent = percent
        self.reliable = reliable
        self.top3 = top3
        self.textBytes = textBytes
    }
}

/// Which turns of a conversation are classified.
public enum LanguageScope: String, ConfigChoice {
    /// The first user message (the "query").
    case firstUser = "first-user"
    /// Every user message, joined by blank lines (the default: a conversation whose user writes in one language
    /// is in that language, whatever the assistant answered).
    case user
    /// Every message, system and assistant included.
    case all
}

/// Language identification with CLD2 (Compact Language Detector 2, Debian's libcld2-dev).
///
/// CLD2 is a naive-Bayes classifier over character n-grams for 83 languages (plus script-only guesses for
/// others in its extended mode, which is the mode used here). It is deterministic and thread-safe.
public enum LanguageID {
    /// CLD2's code for an unknown language.
    public static let unknownCode = "un"
    /// At most this many bytes of prepared text are classified (cut at a character boundary): CLD2's answer is
    /// settled long before, and a pasted 1 MB log would otherwise dominate the time.
    public static let maxBytes = 32_768

    /// The CLD2 library's version string.
    public static var version: String { String(cString: ccld2_version()) }

    /// Classifies `text` as it is (no stripping; see `prepare` for that). `isPlainText: false` lets CLD2 skip
    /// HTML tags and entities.
    public static func detect(_ text: String, isPlainText: Bool = true) -> LanguageGuess {
        var utf8 = Array(text.utf8)
        if utf8.count > maxBytes {
            var cut = maxBytes
            while cut > 0 && (utf8[cut] & 0xC0) == 0x80 { cut -= 1 }  // do not split a character
            utf8.removeSubrange(cut...)
        }
        let slot = 16
        var code = [CChar](repeating: 0, count: slot)
        var codes3 = [CChar](repeating: 0, count: slot * 3)
        var percents = [Int32](repeating: 0, count: 3)
        var reliable: Int32 = 0
        var textBytes: Int32 = 0
        _ = utf8.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                ccld2_detect(chars.baseAddress, Int32(chars.count), isPlainText ? 1 : 0, &code, Int32(slot),
                             &codes3, &percents, &reliable, &textBytes)
            }
        }
        let top = string(code[...])
        var shares: [LanguageShare] = []
        for index in 0..<3 {
            let share = string(codes3[(index * slot)..<((index + 1) * slot)])
            if share != unknownCode && percents[index] > 0 {
                shares.append(LanguageShare(code: share, percent: Int(percents[index])))
            }
        }
        return LanguageGuess(code: top, name: name(ofCode: top), percent: Int(percents[0]), reliable: reliable != 0,
                             top3: shares, textBytes: Int(textBytes))
    }

    /// Prepares then classifies the chosen turns of a conversation (see `text(of:scope:)`).
    public static func detect(messages: [ChatMessage], scope: LanguageScope = .user) -> LanguageGuess {
        detect(text(of: messages, scope: scope))
    }

    /// CLD2's English name for a language code ("fr" -> "FRENCH"); "Unknown" for a code it does not know.
    public static func name(ofCode code: String) -> String {
        if code == unknownCode { return "Unknown" }
        var buffer = [CChar](repeating: 0, count: 64)
        _ = ccld2_language_name(code, &buffer, 64)
        return string(buffer[...])
    }

    /// The text classified for a conversation: the turns `scope` picks, joined by blank lines, each passed
    /// through `prepare`.
    public static func text(of messages: [ChatMessage], scope: LanguageScope) -> String {
        let chosen: [ChatMessage]
        switch scope {
        case .firstUser: chosen = messages.first { $0.role == "user" }.map { [$0] } ?? []
        case .user: chosen = messages.filter { $0.role == "user" }
        case .all: chosen = messages
        }
        return chosen.map { prepare($0.content) }.joined(separator: "\n\n")
    }

    /// Removes what is not natural language before classification: fenced code blocks (```…```), inline code
    /// (`…`), URLs (http://, https://, www.) and e-mail addresses. Code and links are written in the same
    /// (mostly English) keywords whatever the writer's language, and would pull a French question about Python
    /// towards English.
    public static func prepare(_ text: String) -> String {
        var result = text
        for pattern in strippedPatterns {
            let range = NSRange(result.startIndex..., in: result)
            result = pattern.stringByReplacingMatches(in: result, range: range, withTemplate: " ")
        }
        return result
    }

    static let strippedPatterns: [NSRegularExpression] = [
        "```[\\s\\S]*?(```|$)",          // fenced code blocks, an unclosed one running to the end
        "`[^`\\n]+`",                     // inline code
        "(https?://|www\\.)[^\\s)\\]>\"']+",  // URLs
        "[\\w.+-]+@[\\w-]+\\.[\\w.-]+",   // e-mail addresses
    ].compactMap { try? NSRegularExpression(pattern: $0) }

    static func string(_ chars: ArraySlice<CChar>) -> String {
        let bytes = chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
