// Collection through the Batch API: a `Teacher` that answers only from the cache and notes every other request,
// so a generator's run can be planned, the misses sent as one batch, and the run repeated until nothing is missing.
import Foundation

/// Answers from the store only; a request not stored is noted for a batch and reported failed ("deferred").
public actor BatchPlanningTeacher: Teacher {
    /// The reason a deferred request reports.
    public static let deferred = "deferred to the Batch API"

    public nonisolated let model: String
    /// The endpoint string the keys are made with (as `CachedTeacher` and `BatchJob` use it).
    public nonisolated let endpoint: String
    let store: RequestStore
    private var noted: [BatchItem] = []
    private var seen: Set<String> = []
    /// Requests answered from the store.
    public private(set) var answered = 0

    public init(model: String, endpoint: String, store: RequestStore) {
        self.model = model
        self.endpoint = endpoint
        self.store = store
    }

    public func chat(_ request: ChatCompletionRequest, sampleIndex: Int) async throws -> TeacherOutcome {
        let key = RequestKey.chat(endpoint: endpoint, request: request, sampleIndex: sampleIndex)
        if let stored = try await store.lookupAsync(key) {
            answered += 1
            return .answered(try stored.chatResponse(), key: key, cached: true)
        }
        if seen.insert(key).inserted { noted.append(BatchItem(key: key, request: request)) }
        return .failed(key: key, reason: Self.deferred)
    }

    /// The requests noted so far, in the order they were first asked, each once.
    public var pending: [BatchItem] { noted }
}

/// Runs a collection through the Batch API: plan with a `BatchPlanningTeacher`, submit what is missing, repeat
/// (generators whose later requests depend on earlier answers need several rounds), until a round finds nothing
/// missing or makes no progress. Returns the number of rounds that submitted a batch.
public func collectThroughBatches(
    job: BatchJob, planner: @Sendable () -> BatchPlanningTeacher, maxRounds: Int = 20,
    plan: @Sendable (BatchPlanningTeacher) async throws -> Void,
    log: @Sendable (String) -> Void = { _ in }
) async throws -> Int {
    var rounds = 0
    var lastAnswered = -1
    while rounds < maxRounds {
        let teacher = planner()
        try await plan(teacher)
        let pending = await teacher.pending
        let answered = await teacher.answered
        if pending.isEmpty { return rounds }
        if answered == lastAnswered && rounds > 0 {
            log("batch round \(rounds + 1): no new answers since the last round; \(pending.count) requests stay missing")
            return rounds
        }
        lastAnswered = answered
        rounds += 1
        log("batch round \(rounds): \(answered) answered from the cache, submitting \(pending.count)")
        let summary = try await job.run(pending)
        log("batch round \(rounds): \(summary.answered) answered, \(summary.failed) failed"
            + (summary.skippedForBudget > 0 ? ", \(summary.skippedForBudget) left out by the budget" : ""))
        if summary.skippedForBudget > 0 && summary.answered == 0 { return rounds }
    }
    return rounds
}
