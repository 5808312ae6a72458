// `mimic ledger` as a user runs it: spend per model from a request cache, as JSON and as a table, re-priced as
// another model, and a clear error for a missing cache or a bad price file.
import Foundation
import MimicTeacher
import Testing

@Suite struct LedgerCLITests {
    func cacheWithRows() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mimic-ledger-\(UUID().uuidString)")
        let path = dir.appendingPathComponent("teacher.sqlite").path
        let store = try RequestStore(path: path)
        for (i, model) in ["gpt-4o-mini", "gpt-4o-mini", "local:tiny"].enumerated() {
            let request = ChatCompletionRequest(model: model, messages: [APIMessage(role: "user", content: "q\(i)")])
            let response = ChatCompletionResponse(id: "r\(i)", created: 0, model: model, choices: [],
                                                  usage: Usage(promptTokens: 1_000_000, completionTokens: 0))
            try store.record(try StoredResponse.chat(key: "k\(i)", endpoint: "e", run: i == 2 ? "local" : "paid",
                                                      request: request, response: response,
                                                      costUSD: PriceTable.default.cost(model: model, promptTokens: 1_000_000,
                                                                                       completionTokens: 0)))
        }
        return path
    }

    struct Report: Decodable {
        struct Row: Decodable { var group: String; var requests: Int; var prompt_tokens: Int; var cost_usd: Double }
        var rows: [Row]
        var total: Row
    }

    @Test func showsSpendPerModelAndRepricesAsAnotherModel() throws {
        let path = try cacheWithRows()
        let billed = try mimic(["ledger", "--cache", path, "--json"])
        #expect(billed.status == 0, "\(billed.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(billed.stdout.utf8))
        #expect(report.rows.map(\.group) == ["gpt-4o-mini", "local:tiny"])
        #expect(report.rows.map(\.requests) == [2, 1])
        #expect(abs(report.total.cost_usd - 0.30) < 1e-9)

        let repriced = try mimic(["ledger", "--cache", path, "--json", "--by", "run", "--as-model", "gpt-4o"])
        let asGPT4o = try JSONDecoder().decode(Report.self, from: Data(repriced.stdout.utf8))
        #expect(asGPT4o.rows.map(\.group) == ["paid", "local"])
        #expect(abs(asGPT4o.total.cost_usd - 7.5) < 1e-9)  // 3M prompt tokens at $2.50 per 1M

        let table = try mimic(["ledger", "--cache", path, "--run", "paid"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("gpt-4o-mini") && table.stdout.contains("$0.3000") && !table.stdout.contains("local:tiny"))
    }

    @Test func missingCacheAndBadPricesAreNamed() throws {
        let missing = try mimic(["ledger", "--cache", "/nonexistent/teacher.sqlite"])
        #expect(missing.status != 0 && missing.stderr.contains("/nonexistent/teacher.sqlite"))
        let path = try cacheWithRows()
        let prices = (path as NSString).deletingLastPathComponent + "/prices.json"
        try #"{"gpt-4o-mini": {"input": "cheap"}}"#.write(toFile: prices, atomically: true, encoding: .utf8)
        let bad = try mimic(["ledger", "--cache", path, "--prices", prices])
        #expect(bad.status != 0 && bad.stderr.contains(prices) && bad.stderr.contains("gpt-4o-mini"))
    }
}
