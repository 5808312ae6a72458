// The request store: answers inserted once by key and durable across reopening, failures superseded by a later
// answer, batches remembered, and ledger groups and totals (billed and re-priced) that add up.
import Foundation
import Testing
@testable import MimicTeacher

/// A stored chat answer for tests: `prompt` and `completion` tokens, `cost` dollars.
func sampleRow(_ key: String, model: String = "gpt-4o-mini", run: String = "r1", prompt: Int = 10, completion: Int = 20,
               cost: Double = 0.001, source: ResponseSource = .online, at: Date = Date()) throws -> StoredResponse {
    let request = ChatCompletionRequest(model: model, messages: [APIMessage(role: "user", content: "q \(key)")])
    let response = ChatCompletionResponse(
        id: "id-\(key)", created: 0, model: model,
        choices: [.init(index: 0, message: APIMessage(role: "assistant", content: "a \(key)"), finishReason: "stop")],
        usage: Usage(promptTokens: prompt, completionTokens: completion))
    return try StoredResponse.chat(key: key, endpoint: "http://x/v1", run: run, request: request, response: response,
                                   costUSD: cost, source: source, createdAt: at)
}

@Suite struct RequestStoreTests {
    @Test func answersRoundTripAndInsertOnce() throws {
        let store = try RequestStore.inMemory()
        #expect(try store.lookup("k1") == nil)
        #expect(try store.record(try sampleRow("k1", cost: 0.5)))
        #expect(try !store.record(try sampleRow("k1", cost: 0.5)))  // duplicate: not stored, not billed again
        let stored = try #require(try store.lookup("k1"))
        #expect(try stored.chatResponse().choices.first?.message.content == "a k1")
        #expect(stored.promptTokens == 10 && stored.completionTokens == 20 && stored.model == "gpt-4o-mini")
        #expect(try store.totals().requests == 1)
        #expect(try store.totals().costUSD == 0.5)
        #expect(try store.answeredKeys(among: ["k1", "k2"]) == ["k1"])
    }

    @Test func answersSurviveReopeningTheFile() throws {
        let path = temporaryPath("cache.sqlite")
        do {
            let store = try RequestStore(path: path)
            for i in 0..<5 { try store.record(try sampleRow("k\(i)")) }
        }
        let reopened = try RequestStore(path: path)
        #expect(try reopened.totals().requests == 5)
        #expect(try reopened.lookup("k3")?.chatResponse().id == "id-k3")
    }

    @Test func failuresCountAttemptsAndAreSupersededByAnAnswer() throws {
        let store = try RequestStore.inMemory()
        try store.recordFailure(key: "k1", run: "r1", reason: "HTTP 500")
        try store.recordFailure(key: "k1", run: "r1", reason: "HTTP 503")
        try store.recordFailure(key: "k2", run: "r2", reason: "timeout")
        let failures = try store.failures(run: "r1")
        #expect(failures.map(\.key) == ["k1"])
        #expect(failures.first?.attempts == 2)
        #expect(failures.first?.reason == "HTTP 503")
        try store.record(try sampleRow("k1"))
        #expect(try store.failures(run: "r1").isEmpty)
        try store.recordFailure(key: "k1", run: "r1", reason: "late")  // already answered: ignored
        #expect(try store.failures().map(\.key) == ["k2"])
    }

    @Test func batchesAreRememberedUntilFolded() throws {
        let store = try RequestStore.inMemory()
        try store.recordBatch(BatchRecord(id: "b1", run: "r1", model: "m", endpoint: "e", inputFileID: "f1",
                                          status: "validating", keys: ["a", "b"], folded: false, createdAt: Date()))
        #expect(try store.batches(run: "r1", pendingOnly: true).map(\.keys) == [["a", "b"]])
        try store.updateBatch(id: "b1", status: "in_progress")
        #expect(try store.batches(run: "r1", pendingOnly: true).first?.status == "in_progress")
        try store.updateBatch(id: "b1", status: "completed", folded: true)
        #expect(try store.batches(run: "r1", pendingOnly: true).isEmpty)
        #expect(try store.batches(run: "r1").count == 1)
    }

    @Test func ledgerGroupsByModelRunDayAndSource() throws {
        let store = try RequestStore.inMemory()
        let day1 = Date(timeIntervalSince1970: 1_700_000_000)  // 2023-11-14 UTC
        let day2 = day1.addingTimeInterval(86_400)
        try store.record(try sampleRow("a", model: "gpt-4o-mini", run: "r1", prompt: 100, completion: 10, cost: 1, at: day1))
        try store.record(try sampleRow("b", model: "gpt-4o-mini", run: "r2", prompt: 200, completion: 20, cost: 2, at: day2))
        try store.record(try sampleRow("c", model: "gpt-4o", run: "r2", prompt: 300, completion: 30, cost: 4,
                                       source: .batch, at: day2))
        let byModel = try store.ledger(by: .model)
        #expect(byModel == [LedgerRow(group: "gpt-4o", requests: 1, promptTokens: 300, completionTokens: 30, costUSD: 4),
                            LedgerRow(group: "gpt-4o-mini", requests: 2, promptTokens: 300, completionTokens: 30, costUSD: 3)])
        let byDay = try store.ledger(by: .day)
        #expect(byDay.map(\.group) == ["2023-11-15", "2023-11-14"])
        #expect(byDay.map(\.requests) == [2, 1])
        #expect(try store.ledger(by: .run, run: "r2").map(\.costUSD) == [6])
        #expect(try store.ledger(by: .source).map(\.group) == ["batch", "online"])
        let total = try store.totals()
        #expect(total.requests == 3 && total.promptTokens == 600 && total.completionTokens == 60 && total.costUSD == 7)
        #expect(try store.spent(run: "r2") == 6)
        #expect(try store.spent(run: "none") == 0)
    }

    @Test func repricingAsAnotherModelUsesTokensNotBilledCost() throws {
        let store = try RequestStore.inMemory()
        try store.record(try sampleRow("a", model: "local:tiny", prompt: 1_000_000, completion: 0, cost: 0))
        try store.record(try sampleRow("b", model: "local:tiny", prompt: 0, completion: 1_000_000, cost: 0, source: .batch))
        #expect(try store.totals().costUSD == 0)
        let asMini = Repricing(prices: .default, asModel: "gpt-4o-mini", batchDiscount: 0.5)
        let repriced = try store.totals(repricing: asMini)
        #expect(abs(repriced.costUSD - (0.15 + 0.60 * 0.5)) < 1e-12)
        #expect(repriced.requests == 2)
        // Without --as-model, local rows stay free.
        #expect(try store.totals(repricing: Repricing(prices: .default)).costUSD == 0)
    }
}
