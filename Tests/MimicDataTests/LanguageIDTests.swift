// Tests of LanguageID (CLD2 through the CCLD2 shim): a committed multilingual sample, unknown text, the text
// chosen from a conversation and the stripping of code and URLs.
import Foundation
import MimicCore
import MimicData
import MimicTokenizers
import Testing

@Suite struct LanguageIDTests {
    struct Sample: Decodable {
        let language: String
        let text: String
    }

    static func samples() throws -> [Sample] {
        let url = try #require(Bundle.module.url(forResource: "Resources/multilingual-sample", withExtension: "jsonl"))
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        return try lines.map { try JSONDecoder().decode(Sample.self, from: Data($0.utf8)) }
    }

    @Test func labelsTheCommittedMultilingualSample() throws {
        let samples = try Self.samples()
        #expect(Set(samples.map(\.language)).count >= 10)
        for sample in samples {
            let guess = LanguageID.detect(sample.text)
            #expect(guess.code == sample.language, "\(sample.text.prefix(40)): got \(guess.code)")
            #expect(guess.reliable, "\(sample.language) should be reliable")
            #expect(guess.percent >= 90)
            #expect(guess.textBytes > 100)
            #expect(guess.top3.first == LanguageShare(code: sample.language, percent: guess.percent))
            #expect(guess.name != "Unknown")
        }
    }

    @Test func mixedTextReportsTwoLanguages() throws {
        let samples = try Self.samples()
        let french = try #require(samples.first { $0.language == "fr" }).text
        let german = try #require(samples.first { $0.language == "de" }).text
        let guess = LanguageID.detect(french + " " + german)
        #expect(Set(guess.top3.prefix(2).map(\.code)) == ["fr", "de"])
        #expect(guess.top3.prefix(2).allSatisfy { $0.percent >= 30 })
    }

    @Test func emptyAndLetterlessTextIsUnknown() {
        for text in ["", "   \n\t", "12345 678 !!! ???", "-- ** //"] {
            let guess = LanguageID.detect(text)
            #expect(guess.isUnknown, "\(text.debugDescription) -> \(guess.code)")
            #expect(guess.code == LanguageID.unknownCode)
            #expect(guess.name == "Unknown")
            #expect(!guess.reliable)
            #expect(guess.top3.isEmpty)
        }
    }

    @Test func veryShortTextIsNotReliable() {
        let guess = LanguageID.detect("ok")
        #expect(guess.isUnknown || !guess.reliable)
    }

    @Test func namesOfCodes() {
        #expect(LanguageID.name(ofCode: "fr") == "FRENCH")
        #expect(LanguageID.name(ofCode: "en") == "ENGLISH")
        #expect(LanguageID.name(ofCode: "un") == "Unknown")
        #expect(LanguageID.name(ofCode: "qqq-not-a-language") == "Unknown")
        #expect(LanguageID.version.contains("V2"))
    }

    @Test func prepareStripsCodeURLsAndAddresses() {
        let text = """
            Pourquoi est-ce que ma fonction renvoie toujours la même valeur quand je l'appelle plusieurs fois ?
            ```python
            def compute_total(items, discount=None):
                for item in items: print(item.price, item.quantity)
                return sum(item.price * item.quantity for item in items)
            ```
            J'ai lu la documentation sur https://docs.python.org/3/tutorial/index.html et écrit à help@example.com \
            mais je ne comprends toujours pas le problème avec `compute_total(items)` dans mon programme.
            """
        let prepared = LanguageID.prepare(text)
        #expect(!prepared.contains("def compute_total"))
        #expect(!prepared.contains("docs.python.org"))
        #expect(!prepared.contains("help@example.com"))
        #expect(!prepared.contains("compute_total(items)"))
        #expect(prepared.contains("Pourquoi est-ce que ma fonction"))
        #expect(LanguageID.detect(prepared).code == "fr")
        let unclosed = LanguageID.prepare("Bonjour\n```\nlet x = 1\nlet y = 2")
        #expect(!unclosed.contains("let x"))
    }

    @Test func conversationTextFollowsTheScope() {
        let messages = [
            ChatMessage(role: "system", content: "SYSTEM"),
            ChatMessage(role: "user", content: "FIRST"),
            ChatMessage(role: "assistant", content: "ANSWER"),
            ChatMessage(role: "user", content: "SECOND see https://example.com/page"),
        ]
        #expect(LanguageID.text(of: messages, scope: .firstUser) == "FIRST")
        #expect(LanguageID.text(of: messages, scope: .user) == "FIRST\n\nSECOND see  ")
        #expect(LanguageID.text(of: messages, scope: .all) == "SYSTEM\n\nFIRST\n\nANSWER\n\nSECOND see  ")
        #expect(LanguageID.text(of: [ChatMessage(role: "assistant", content: "x")], scope: .firstUser) == "")
    }

    @Test func longTextIsCutAtACharacterBoundary() {
        let sentence = "Каждое утро мой сосед выгуливает свою старую собаку вдоль реки. "
        let text = String(repeating: sentence, count: LanguageID.maxBytes / sentence.utf8.count + 10) + "z"
        let guess = LanguageID.detect(text)
        #expect(guess.code == "ru")
        #expect(guess.textBytes <= LanguageID.maxBytes)
    }
}
