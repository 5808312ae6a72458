// Collection through the Batch API in rounds: a generator whose later requests depend on earlier answers is
// planned against the cache, the misses submitted, and planned again until nothing is missing.
import Foundation
import Testing
@testable import MimicTeacher

@Suite struct BatchPlanningTests {
    static let keyEndpoint = "http://teacher/v1"

    /// A two-stage "generator": asks two questions, then a follow-up on each answer it got.
    @Sendable static func plan(_ teacher: any Teacher) async throws -> [String] {
        var finals: [String] = []
        for question in ["first question", "second question"] {
            guard case .answered(let answer, _, _) = try await teacher.chat(userRequest(question), sampleIndex: 0),
                  let text = answer.choices.first?.message.content else { continue }
            if case .answered(let more, _, _) = try await teacher.chat(userRequest("more on " + text), sampleIndex: 0),
               let final = more.choices.first?.message.content {
                finals.append(final)
            }
        }
        return finals
    }

    @Test func dependentRequestsTakeOneRoundEachAndThenComeFromTheCache() async throws {
        let store = try RequestStore.inMemory()
        let state = FakeBatchState(pollsBeforeDone: 0)
        await state.setFailingIndex(-1)
        let rounds = try await withFakeBatchServer(state) { base in
            var options = BatchJob.Options()
            options.pollInterval = .milliseconds(10)
            let job = BatchJob(endpoint: TeacherEndpoint(baseURL: base, apiKey: "sk-x"), keyEndpoint: Self.keyEndpoint,
                               model: "gpt-4o-mini", store: store, run: "planned", options: options)
            return try await collectThroughBatches(
                job: job, planner: { BatchPlanningTeacher(model: "gpt-4o-mini", endpoint: Self.keyEndpoint, store: store) },
                plan: { _ = try await Self.plan($0) })
        }
        #expect(rounds == 2)
        #expect(await state.uploads.map { $0.split(separator: "\n").count } == [2, 2])
        // The real run now finds every answer in the cache.
        let counter = CallCounter()
        let teacher = try CachedTeacher(client: countingClient(counter), endpoint: Self.keyEndpoint, model: "gpt-4o-mini",
                                        store: store, run: "planned")
        #expect(try await Self.plan(teacher) == ["echo: more on echo: first question", "echo: more on echo: second question"])
        #expect(await counter.calls == 0)
    }

    @Test func aRoundWithoutProgressStops() async throws {
        let store = try RequestStore.inMemory()
        let state = FakeBatchState(pollsBeforeDone: 0)
        await state.setFailingIndex(0)  // the first line of every upload fails
        let rounds = try await withFakeBatchServer(state) { base in
            var options = BatchJob.Options()
            options.pollInterval = .milliseconds(10)
            let job = BatchJob(endpoint: TeacherEndpoint(baseURL: base), keyEndpoint: Self.keyEndpoint,
                               model: "gpt-4o-mini", store: store, run: "stuck", options: options)
            return try await collectThroughBatches(
                job: job, planner: { BatchPlanningTeacher(model: "gpt-4o-mini", endpoint: Self.keyEndpoint, store: store) },
                maxRounds: 10, plan: { _ = try await Self.plan($0) })
        }
        // Round 1 answers only the second question; round 2 its follow-up and the first question again (failing
        // again as line 0); round 3 would resubmit only the failing one: no new answers, so it stops.
        #expect(rounds < 10)
        #expect(try store.failures(run: "stuck").count == 1)
    }
}
