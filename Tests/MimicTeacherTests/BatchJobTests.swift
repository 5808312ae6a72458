// The Batch API flow against a loopback fake of the Files and Batches endpoints: only missing requests are
// uploaded, results and errors are folded into the store at the batch discount, and a run interrupted while
// polling resumes the same batch without uploading again.
import Foundation
import Testing
@testable import MimicTeacher

@Suite struct BatchJobTests {
    static let keyEndpoint = "http://teacher/v1"

    func items(_ count: Int) -> [BatchItem] {
        (0..<count).map { BatchItem.chat(endpoint: Self.keyEndpoint, request: userRequest("batch prompt \($0)"), sampleIndex: 0) }
    }

    func job(_ base: String, store: RequestStore, budget: Double? = nil) -> BatchJob {
        var options = BatchJob.Options()
        options.pollInterval = .milliseconds(10)
        options.budget = budget
        return BatchJob(endpoint: TeacherEndpoint(baseURL: base, apiKey: "sk-test-secret"), keyEndpoint: Self.keyEndpoint,
                        model: "gpt-4o-mini", store: store, run: "batch-run", options: options)
    }

    /// The discounted cost of the fake's answer to upload line `index` (prompt 10 + index tokens, 5 completion).
    func lineCost(_ index: Int) -> Double {
        PriceTable.default.cost(model: "gpt-4o-mini", promptTokens: 10 + index, completionTokens: 5, discount: 0.5)
    }

    @Test func uploadsOnlyMissingRequestsAndFoldsResultsAndErrors() async throws {
        let store = try RequestStore.inMemory()
        let all = items(5)
        try store.record(try sampleRow(all[0].key, run: "batch-run", cost: 0))  // already answered: not sent
        let state = FakeBatchState(pollsBeforeDone: 2)
        let summary = try await withFakeBatchServer(state) { base in try await job(base, store: store).run(all) }

        #expect(await state.uploads.count == 1)
        #expect(await state.uploadPurposes == ["batch"])
        #expect(await state.authorizations == ["Bearer sk-test-secret"])
        let lines = try #require(await state.uploads.first).split(separator: "\n")
        let uploaded = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(uploaded.map { $0?["custom_id"] as? String } == all[1...].map(\.key))
        #expect(uploaded.allSatisfy { $0?["url"] as? String == "/v1/chat/completions" && $0?["method"] as? String == "POST" })
        #expect(await state.polls == 3)

        // Line 0 (item 1) went to the error file; lines 1...3 (items 2...4) were answered.
        #expect(summary.alreadyStored == 1 && summary.submitted == 4 && summary.answered == 3 && summary.failed == 1)
        #expect(summary.createdBatchIDs == ["batch_1"] && summary.resumedBatchIDs.isEmpty)
        let failures = try store.failures(run: "batch-run")
        #expect(failures.map(\.key) == [all[1].key])
        #expect(failures.first?.reason.contains("bad request 0") == true)
        for (line, item) in zip(1...3, all[2...]) {
            let stored = try #require(try store.lookup(item.key))
            #expect(stored.source == .batch && stored.run == "batch-run" && stored.endpoint == Self.keyEndpoint)
            #expect(try stored.chatResponse().choices.first?.message.content == "echo: batch prompt \(line + 1)")
            #expect(stored.promptTokens == 10 + line && stored.completionTokens == 5)
            #expect(abs(stored.costUSD - lineCost(line)) < 1e-15)
        }
        let expected = (1...3).map(lineCost).reduce(0, +)
        #expect(abs(summary.spentUSD - expected) < 1e-15)
        #expect(abs(try store.spent(run: "batch-run") - expected) < 1e-15)
        #expect(try store.batches(run: "batch-run", pendingOnly: true).isEmpty)

        // The answers are the cache of an online teacher with the same endpoint: no client call.
        let counter = CallCounter()
        let teacher = try CachedTeacher(client: countingClient(counter), endpoint: Self.keyEndpoint, model: "gpt-4o-mini",
                                        store: store, run: "batch-run")
        guard case .answered(_, _, true) = try await teacher.chat(userRequest("batch prompt 3"), sampleIndex: 0) else {
            Issue.record("expected a cached answer"); return
        }
        #expect(await counter.calls == 0)
    }

    @Test func interruptedPollingResumesTheSameBatch() async throws {
        let path = temporaryPath("batch.sqlite")
        let all = items(4)
        let state = FakeBatchState(pollsBeforeDone: 1_000_000)
        try await withFakeBatchServer(state) { base in
            let store = try RequestStore(path: path)
            let running = Task { try await job(base, store: store).run(all) }
            while await state.polls < 3 { try await Task.sleep(nanoseconds: 5_000_000) }
            running.cancel()
            await #expect(throws: CancellationError.self) { _ = try await running.value }
            #expect(try store.batches(run: "batch-run", pendingOnly: true).map(\.id) == ["batch_1"])
            #expect(try store.totals().requests == 0)

            // The next run (a new process, so a reopened store) polls batch_1 again and uploads nothing.
            await state.setPollsBeforeDone(0)
            let reopened = try RequestStore(path: path)
            let summary = try await job(base, store: reopened).run(all)
            #expect(summary.resumedBatchIDs == ["batch_1"] && summary.createdBatchIDs.isEmpty)
            #expect(await state.uploads.count == 1)
            #expect(await state.batchesCreated == 1)
            #expect(summary.answered == 3 && summary.failed == 1)
            #expect(try reopened.totals().requests == 3)

            // A third run sends only the request that failed, in a new batch of one line.
            let third = try await job(base, store: reopened).run(all)
            #expect(third.alreadyStored == 3 && third.submitted == 1 && third.createdBatchIDs == ["batch_2"])
            #expect(await state.uploads.count == 2)
            #expect(await state.uploads.last?.split(separator: "\n").count == 1)
            // The fake errs on each batch's first line, so it fails again and stays listed.
            #expect(try reopened.failures(run: "batch-run").first?.attempts == 2)
        }
    }

    @Test func budgetLimitsWhatIsUploaded() async throws {
        let store = try RequestStore.inMemory()
        let all = items(6)
        let one = PriceTable.default.cost(model: "gpt-4o-mini", promptTokens: CachedTeacher.estimateTokens(all[0].request.messages),
                                          completionTokens: 1024, discount: 0.5)
        let state = FakeBatchState(pollsBeforeDone: 0)
        let summary = try await withFakeBatchServer(state) { base in
            try await job(base, store: store, budget: one * 2.5).run(all)
        }
        #expect(summary.submitted == 2 && summary.skippedForBudget == 4)
        #expect(await state.uploads.first?.split(separator: "\n").count == 2)
        await #expect(throws: TeacherError.self) {
            try await withFakeBatchServer(FakeBatchState(pollsBeforeDone: 0)) { base in
                try await job(base, store: store, budget: 0).run(all)
            }
        }
    }

    @Test func httpErrorsAreTypedAndNeverHoldTheKey() async throws {
        let store = try RequestStore.inMemory()
        try await withFakeBatchServer(FakeBatchState(pollsBeforeDone: 0)) { base in
            let job = job(base, store: store)
            let error = await #expect(throws: TeacherError.self) { _ = try await job.poll("no-such-batch") }
            guard case .http(let status, let message, _)? = error else { Issue.record("expected HTTP error"); return }
            #expect(status == 404 && message.contains("no such batch"))
            #expect(!(error?.localizedDescription.contains("sk-test-secret") ?? true))
        }
    }
}
