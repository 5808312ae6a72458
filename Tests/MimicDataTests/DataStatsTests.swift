// Tests of DataStats (`mimic data stats`): the exact summaries, query normalisation and duplicates, the length
// histogram, languages, the rule-based categories and the JSON hook for diversity.
import Foundation
import MimicCore
import MimicTeacher
import MimicData
import MimicTestSupport
import MimicTokenizers
import Testing

@Suite struct DataStatsTests {
    @Test func countSummaryMatchesSortingAllValues() {
        var random = SplitMix64(seed: 7)
        for size in [1, 2, 3, 10, 101, 1000] {
            var summary = CountSummary()
            var values: [Int] = []
            for _ in 0..<size {
                let value = random.below(50) * random.below(50)
                values.append(value)
                summary.add(value)
            }
            let sorted = values.sorted()
            let median = size % 2 == 1 ? Double(sorted[size / 2]) : Double(sorted[size / 2 - 1] + sorted[size / 2]) / 2
            #expect(summary.count == size)
            #expect(summary.total == values.reduce(0, +))
            #expect(summary.min == sorted.first && summary.max == sorted.last)
            #expect(summary.median == median)
            #expect(abs(summary.mean - Double(values.reduce(0, +)) / Double(size)) < 1e-12)
            #expect(summary.p90 == sorted[Int((Double(size) * 0.9).rounded(.up)) - 1])
        }
        #expect(CountSummary().median == 0 && CountSummary().mean == 0)
    }

    @Test func queryNormalisation() {
        #expect(QueryNormalizer.normalize("  Hello\t\tWORLD \n") == "hello world")
        #expect(QueryNormalizer.normalize("ｆｕｌｌ ｗｉｄｔｈ") == "full width")
        #expect(QueryNormalizer.normalize("ﬁnd the ﬁle") == "find the file")
        #expect(QueryNormalizer.normalize("Cafe\u{301}") == QueryNormalizer.normalize("café"))
        #expect(QueryNormalizer.normalize("a b") != QueryNormalizer.normalize("ab"))
    }

    static func conversation(_ turns: [(String, String)]) -> ConversationRecord {
        ConversationRecord(messages: turns.map { ChatMessage(role: $0.0, content: $0.1) })
    }

    @Test func statisticsOfASmallFile() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let french = try LanguageFilterTests.text("fr"), english = try LanguageFilterTests.text("en")
        let records = [
            Self.conversation([("system", "Be brief."), ("user", "Write a short poem about the sea"), ("assistant", "Waves come and go")]),
            Self.conversation([("user", "write a  SHORT poem about the sea "), ("assistant", "Salt and foam"),
                               ("user", "Another one"), ("assistant", "Tide")]),
            Self.conversation([("user", french), ("assistant", "Oui")]),
            Self.conversation([("user", english), ("assistant", "")]),
            Self.conversation([("assistant", "Nobody asked")]),
        ]
        let file = folder.appendingPathComponent("small.jsonl")
        try ConversationJSONL.write(records, to: file)
        let stats = try DataStats.compute(file)
        #expect(stats.conversations == 5)
        #expect(stats.input?.format == "conversation-jsonl")
        #expect(stats.messagesPerRole == ["system": 1, "user": 5, "assistant": 6])
        #expect(stats.turns.total == 11 && stats.turns.max == 4 && stats.turns.median == 2)
        let words = records.map { $0.messages.reduce(0) { $0 + DataStats.wordCount($1.content) } }
        #expect(stats.tokensPerConversation.total == words.reduce(0, +))
        #expect(stats.tokensPerConversation.max == words.max())
        #expect(stats.tokensPerQuery.count == 4)
        #expect(stats.tokensPerQuery.min == 7)
        #expect(stats.tokensPerUserMessage.count == 5 && stats.tokensPerUserMessage.min == 2)
        #expect(stats.tokensPerAnswer.count == 6 && stats.tokensPerAnswer.min == 0)
        #expect(stats.withoutQuery == 1)
        #expect(stats.distinctQueries == 3 && stats.duplicateQueries == 1)
        #expect(abs(stats.duplicateRate - 0.25) < 1e-12)
        #expect(stats.languages["fr"] == 1 && stats.languages["en"] == 3)
        #expect(stats.lengthHistogram.reduce(0) { $0 + $1.count } == 5)
        for (record, count) in zip(records, words) {
            _ = record
            let bucket = try #require(stats.lengthHistogram.first { $0.lower <= count && count < $0.upper })
            #expect(bucket.count >= 1)
        }
        let categories = Dictionary(uniqueKeysWithValues: stats.categories.map { ($0.category, $0.count) })
        #expect(categories["Generation"] == 2 && categories["Non-English"] == 1 && categories["Other"] == 1)
        #expect(stats.categories.reduce(0) { $0 + $1.count } == 4)
        #expect(stats.categories.map(\.category) == QueryCategory.allCases.map(\.rawValue))
        #expect(stats.diversity == nil)
        let text = stats.renderText()
        #expect(text.contains("duplicate queries") && text.contains("#") && text.contains("Generation"))
    }

    @Test func histogramBucketsArePowersOfTwo() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let lengths = [0, 1, 2, 3, 4, 7, 8, 100]
        let records = lengths.map { Self.conversation([("user", Array(repeating: "w", count: $0).joined(separator: " "))]) }
        let file = folder.appendingPathComponent("h.jsonl")
        try ConversationJSONL.write(records, to: file)
        let stats = try DataStats.compute(file)
        let bounds = stats.lengthHistogram.map { [$0.lower, $0.upper, $0.count] }
        #expect(bounds == [[0, 1, 1], [1, 2, 1], [2, 4, 2], [4, 8, 2], [8, 16, 1], [16, 32, 0], [32, 64, 0], [64, 128, 1]])
    }

    @Test func jsonHasTheDiversityHookAndTheFields() throws {
        let folder = try Scratch.folder("mimicdata")
        defer { Scratch.remove(folder) }
        let file = folder.appendingPathComponent("j.jsonl")
        try ConversationJSONL.write([Self.conversation([("user", "What is the capital of France?"), ("assistant", "Paris.")])], to: file)
        let stats = try DataStats.compute(file, tokenizer: "chars", countTokens: { $0.count })
        let object = try #require(try JSONSerialization.jsonObject(with: stats.jsonData()) as? [String: Any])
        #expect(object["diversity"] is NSNull)
        #expect(object["tokenizer"] as? String == "chars")
        #expect((object["tokensPerQuery"] as? [String: Any])?["total"] as? Int == 30)
        #expect((object["tokensPerAnswer"] as? [String: Any])?["median"] as? Double == 6)
        #expect(object["conversations"] as? Int == 1)
        #expect(stats.categories.first { $0.category == "General QA" }?.count == 1)
    }

    @Test func categoriesByRule() {
        let cases: [(String, QueryCategory)] = [
            ("", .invalid),
            ("?? 42", .invalid),
            ("Write a Python function that reverses a linked list", .coding),
            ("Why does this throw?\n```js\nconst x = null; x.y\n```", .coding),
            ("How do I center a div with CSS", .coding),
            ("Summarize the following article in three sentences: the council met on Tuesday.", .summarization),
            ("Please rewrite this paragraph so it sounds more formal: we gonna be late.", .rewrite),
            ("Hi there!", .chat),
            ("I want you to act as a travel guide for my trip to Rome.", .chat),
            ("Give me 10 ideas for a birthday party for a seven year old", .brainstorming),
            ("Write a cover letter for a junior accountant position", .generation),
            ("Compose a poem about autumn leaves falling in the park", .generation),
            ("What is the difference between weather and climate?", .generalQA),
            ("Explain how vaccines train the immune system", .generalQA),
            ("Mon chat refuse de manger ses croquettes depuis trois jours, et il dort beaucoup plus que d'habitude.", .nonEnglish),
            ("The quarterly numbers attached below.", .other),
        ]
        for (query, expected) in cases {
            #expect(QueryCategorizer.categorize(query) == expected, "\(query)")
        }
        #expect(QueryCategory.allCases.compactMap(\.paperPercent).reduce(0, +) == 99)
    }
}
