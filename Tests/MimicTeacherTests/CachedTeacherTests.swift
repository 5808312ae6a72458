// The cached teacher: a rerun sends and bills nothing, an interrupted run is finished by sending only what is
// missing (ending with the same ledger as an uninterrupted run), the budget stops sending before it is passed,
// and concurrent requests give one row each (the same request at once is sent once).
import Foundation
import Testing
@testable import MimicTeacher

/// Counts calls to a scripted client.
actor CallCounter {
    var calls = 0
    var prompts: [String] = []
    func hit(_ prompt: String) -> Int {
        calls += 1
        prompts.append(prompt)
        return calls
    }
}

/// A client answering "answer to PROMPT" (3 + words tokens), counting its calls.
func countingClient(_ counter: CallCounter, delayMs: UInt64 = 0) -> ScriptedChatClient {
    ScriptedChatClient { request in
        let prompt = request.messages.last?.content ?? ""
        _ = await counter.hit(prompt)
        if delayMs > 0 { try await Task.sleep(nanoseconds: delayMs * 1_000_000) }
        return "answer to \(prompt)"
    }
}

func userRequest(_ text: String, model: String = "gpt-4o-mini", maxTokens: Int? = nil) -> ChatCompletionRequest {
    ChatCompletionRequest(model: model, messages: [APIMessage(role: "user", content: text)], temperature: 1,
                          maxTokens: maxTokens)
}

@Suite struct CachedTeacherTests {
    let prompts = (0..<12).map { "prompt number \($0) with some words" }

    func teacher(_ client: any ChatClient, store: RequestStore, run: String = "r1", budget: Double? = nil,
                 prices: PriceTable = .default) throws -> CachedTeacher {
        try CachedTeacher(client: client, endpoint: "http://teacher/v1", model: "gpt-4o-mini", store: store,
                          prices: prices, run: run, budget: budget)
    }

    @Test func rerunAnswersFromTheCacheAndBillsNothing() async throws {
        let store = try RequestStore.inMemory()
        let counter = CallCounter()
        let first = try teacher(countingClient(counter), store: store)
        for p in prompts { _ = try await first.chat(userRequest(p), sampleIndex: 0) }
        #expect(await counter.calls == prompts.count)
        let billed = try store.totals()
        #expect(billed.requests == prompts.count && billed.costUSD > 0)

        let second = try teacher(countingClient(counter), store: store)
        for p in prompts {
            let outcome = try await second.chat(userRequest(p), sampleIndex: 0)
            guard case .answered(let response, _, let cached) = outcome else { Issue.record("not answered"); continue }
            #expect(cached)
            #expect(response.choices.first?.message.content == "answer to \(p)")
        }
        #expect(await counter.calls == prompts.count)  // no new calls
        #expect(try store.totals() == billed)           // no added cost
        let stats = await second.stats
        #expect(stats.sent == 0 && stats.cached == prompts.count && stats.spentUSD == 0)
        // Another sample index is another request.
        _ = try await second.chat(userRequest(prompts[0]), sampleIndex: 1)
        #expect(await counter.calls == prompts.count + 1)
    }

    @Test func interruptedRunResumesWithOnlyTheMissingRequests() async throws {
        // The reference: one uninterrupted run.
        let reference = try RequestStore.inMemory()
        let refTeacher = try teacher(countingClient(CallCounter()), store: reference)
        for p in prompts { _ = try await refTeacher.chat(userRequest(p), sampleIndex: 0) }

        // A run whose client hangs after 5 answers, cancelled there (as a killed process would stop).
        let path = temporaryPath("interrupted.sqlite")
        let hanging = CallCounter()
        let client = ScriptedChatClient { request in
            let n = await hanging.hit(request.messages.last?.content ?? "")
            if n > 5 { try await Task.sleep(nanoseconds: 60_000_000_000) }
            return "answer to \(request.messages.last?.content ?? "")"
        }
        let store = try RequestStore(path: path)
        let interrupted = try teacher(client, store: store)
        let prompts = self.prompts
        let run = Task {
            for p in prompts { _ = try await interrupted.chat(userRequest(p), sampleIndex: 0) }
        }
        while await hanging.calls <= 5 { try await Task.sleep(nanoseconds: 5_000_000) }
        run.cancel()
        await #expect(throws: CancellationError.self) { try await run.value }
        #expect(try store.totals().requests == 5)
        #expect(try store.failures().isEmpty)  // a cancelled request is not a failure

        // The rerun, on the reopened file, sends only the 7 missing requests.
        let resumedStore = try RequestStore(path: path)
        let counter = CallCounter()
        let resumed = try teacher(countingClient(counter), store: resumedStore)
        for p in prompts { _ = try await resumed.chat(userRequest(p), sampleIndex: 0) }
        #expect(await counter.calls == prompts.count - 5)
        #expect(await counter.prompts == Array(prompts[5...]))
        let totals = try resumedStore.totals(), expected = try reference.totals()
        #expect(totals.requests == expected.requests)
        #expect(totals.promptTokens == expected.promptTokens && totals.completionTokens == expected.completionTokens)
        #expect(abs(totals.costUSD - expected.costUSD) < 1e-12)
    }

    /// $1 per 1000 output tokens and free input: a request with max_tokens 10 costs at most $0.01.
    static let expensive = PriceTable(prices: ["pricey": ModelPrice(input: 0, output: 1000)])

    @Test func budgetStopsBeforeItIsPassed() async throws {
        let store = try RequestStore.inMemory()
        let counter = CallCounter()
        // Answers of exactly 10 words: each request costs exactly its worst case, $0.01.
        let client = ScriptedChatClient { request in
            _ = await counter.hit(request.messages.last?.content ?? "")
            return Array(repeating: "w", count: 10).joined(separator: " ")
        }
        let budgeted = try teacher(client, store: store, budget: 0.055, prices: Self.expensive)
        var answered = 0
        do {
            for p in prompts {
                _ = try await budgeted.chat(userRequest(p, model: "pricey", maxTokens: 10), sampleIndex: 0)
                answered += 1
            }
            Issue.record("the budget never stopped the run")
        } catch let TeacherError.budgetExhausted(spent, budget) {
            #expect(budget == 0.055)
            #expect(abs(spent - 0.05) < 1e-12)
        }
        #expect(answered == 5)
        #expect(await counter.calls == 5)
        #expect(try store.spent(run: "r1") <= 0.055)
        // A resumed attempt of the same run keeps counting what was spent: nothing more fits.
        let resumed = try teacher(client, store: store, budget: 0.055, prices: Self.expensive)
        await #expect(throws: TeacherError.self) {
            _ = try await resumed.chat(userRequest(prompts[9], model: "pricey", maxTokens: 10), sampleIndex: 0)
        }
        #expect(await counter.calls == 5)
        // Cached answers are free and still come back past the budget.
        let cached = try await resumed.chat(userRequest(prompts[0], model: "pricey", maxTokens: 10), sampleIndex: 0)
        guard case .answered(_, _, true) = cached else { Issue.record("expected a cached answer"); return }
    }

    @Test func concurrentRequestsNeverPassTheBudget() async throws {
        let store = try RequestStore.inMemory()
        let client = ScriptedChatClient { _ in
            try await Task.sleep(nanoseconds: 2_000_000)
            return Array(repeating: "w", count: 10).joined(separator: " ")
        }
        let budgeted = try teacher(client, store: store, budget: 0.105, prices: Self.expensive)
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<40 {
                group.addTask {
                    (try? await budgeted.chat(userRequest("p\(i)", model: "pricey", maxTokens: 10), sampleIndex: 0)) != nil
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 10)
        #expect(try store.totals().requests == 10)
        #expect(try store.spent(run: "r1") <= 0.105)
    }

    @Test func concurrentRequestsGiveOneRowEachAndDuplicatesAreSentOnce() async throws {
        let store = try RequestStore(path: temporaryPath("concurrent.sqlite"))
        let counter = CallCounter()
        let shared = try teacher(countingClient(counter, delayMs: 20), store: store)
        let outcomes = try await withThrowingTaskGroup(of: TeacherOutcome.self) { group in
            for i in 0..<200 { group.addTask { try await shared.chat(userRequest("q\(i)"), sampleIndex: 0) } }
            // The same request twice at once.
            for _ in 0..<2 { group.addTask { try await shared.chat(userRequest("twice"), sampleIndex: 0) } }
            return try await group.reduce(into: [TeacherOutcome]()) { $0.append($1) }
        }
        #expect(await counter.calls == 201)
        #expect(try store.totals().requests == 201)
        #expect(Set(outcomes.map(\.key)).count == 201)
        let twice = outcomes.filter { $0.key == RequestKey.chat(endpoint: "http://teacher/v1", request: userRequest("twice"), sampleIndex: 0) }
        #expect(twice.count == 2)
        #expect(twice.filter { if case .answered(_, _, true) = $0 { return true } else { return false } }.count == 1)
        let stats = await shared.stats
        #expect(stats.sent == 201 && stats.cached == 1)
    }

    @Test func failuresAreRecordedAndARerunRetriesThem() async throws {
        let store = try RequestStore.inMemory()
        let failing = ScriptedChatClient { _ in throw TeacherError.http(status: 500, message: "overloaded", retryAfter: nil) }
        let first = try teacher(failing, store: store)
        let outcome = try await first.chat(userRequest("hello"), sampleIndex: 0)
        guard case .failed(let key, let reason) = outcome else { Issue.record("expected failure"); return }
        #expect(reason.contains("HTTP 500") && reason.contains("overloaded"))
        #expect(try store.failures(run: "r1").map(\.key) == [key])
        #expect(await first.stats.failed == 1)
        let counter = CallCounter()
        let second = try teacher(countingClient(counter), store: store)
        guard case .answered = try await second.chat(userRequest("hello"), sampleIndex: 0) else {
            Issue.record("expected an answer"); return
        }
        #expect(await counter.calls == 1)
        #expect(try store.failures().isEmpty)
    }

    @Test func unknownModelsAreFreeAndFlagged() async throws {
        let store = try RequestStore.inMemory()
        let t = try teacher(countingClient(CallCounter()), store: store)
        _ = try await t.chat(userRequest("x", model: "mystery-model"), sampleIndex: 0)
        _ = try await t.chat(userRequest("y", model: "local:tiny"), sampleIndex: 0)
        #expect(await t.stats.unpricedModels == ["mystery-model"])
        #expect(try store.totals().costUSD == 0)
        #expect(try store.ledger(by: .model).map(\.group).sorted() == ["local:tiny", "mystery-model"])
    }
}
