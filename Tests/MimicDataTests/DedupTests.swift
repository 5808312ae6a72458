// Exact query-level de-duplication and its normal form.
import Foundation
import MimicCore
import MimicData
import MimicTokenizers
import Testing

func conversation(_ query: String, answer: String = "ok", source: String? = nil) -> ConversationRecord {
    ConversationRecord(messages: [ChatMessage(role: "user", content: query), ChatMessage(role: "assistant", content: answer)],
                       meta: RecordMeta(source: source))
}

@Suite struct DedupTests {
    @Test func normalFormFoldsCaseWidthSpaceAndEndPunctuation() {
        #expect(QueryNormalizer.normalize("  Hello,\n\t WORLD!! ") == "hello, world")
        #expect(QueryNormalizer.normalize("ＨＥＬＬＯ　world?") == "hello world")  // full-width letters and space (NFKC)
        #expect(QueryNormalizer.normalize("\"What is C++?\"") == "what is c")
        #expect(QueryNormalizer.normalize("a.b") == "a.b")
        #expect(QueryNormalizer.normalize("...") == "")
    }

    @Test func keepsTheFirstOfEachQuery() {
        let records = [
            conversation("What is AI?", answer: "first", source: "s#1"),
            conversation("what is  ai", answer: "second", source: "s#2"),
            conversation("Explain gravity.", source: "s#3"),
            ConversationRecord(messages: [ChatMessage(role: "assistant", content: "no user")]),
            conversation("WHAT IS AI???", answer: "third", source: "s#5"),
            conversation("What is an AI?", source: "s#6"),
        ]
        let result = ExactDedup.run(records)
        #expect(result.kept.map { $0.meta.source } == ["s#1", "s#3", nil, "s#6"])
        #expect(result.kept[0].messages[1].content == "first")
        #expect(result.report.input == 6 && result.report.kept == 4)
        #expect(result.report.removed == ["duplicate-query": 2])
        #expect(result.report.examples["duplicate-query"]?.first?.hasPrefix("s#2 duplicates s#1") == true)
    }
}
