// Performance sanity: ~100 KB of mixed text encodes quickly (release: well under 0.1 s; the bound here is loose for debug builds).
import Foundation
import MimicCore
import MimicTestSupport
import Testing
@testable import MimicTokenizers

@Suite("Tokenizer performance")
struct PerformanceTests {
    /// About 100 KB built from the corpus, plus long runs of spaces and digits that stress the merge loop.
    static func bigText() throws -> String {
        let corpus = try Fixtures.corpus().joined(separator: "\n")
        var text = String(repeating: " ", count: 5_000) + String(repeating: "1234567890", count: 200)
        while text.utf8.count < 100_000 { text += corpus + "\n" }
        return text
    }

    @Test("encoding ~100 KB takes well under the bound and round-trips")
    func encode100KB() throws {
        let text = try Self.bigText()
        let tokenizer = try FetchedAsset.gpt2Ranks.path != nil ? GPT2Ranks.tokenizer() : Fixtures.trained("smollm")
        let clock = ContinuousClock()
        var ids: [Int] = []
        let elapsed = clock.measure { ids = tokenizer.encode(text, addBOS: false, parseSpecial: true) }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        print("encoded \(text.utf8.count) bytes into \(ids.count) ids in \(seconds) s")
        #expect(seconds < 5, "debug-build bound; a release build takes a few hundredths of a second")
        #expect(Array(tokenizer.decode(ids).utf8) == Array(text.utf8))
    }

    @Test("concurrent encoding from many tasks gives the same ids (the tokenizer is Sendable)")
    func concurrent() async throws {
        let tokenizer = try Fixtures.trained("llama3")
        let texts = try Fixtures.corpus()
        let expected = texts.map { tokenizer.encode($0) }
        let results = await withTaskGroup(of: (Int, [Int]).self) { group in
            for (index, text) in texts.enumerated() { group.addTask { (index, tokenizer.encode(text)) } }
            var results = [[Int]](repeating: [], count: texts.count)
            for await (index, ids) in group { results[index] = ids }
            return results
        }
        #expect(results == expected)
    }
}
