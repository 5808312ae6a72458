// A `Teacher` with a request cache, a cost ledger and a budget: a stored answer is returned without sending or
// billing; a new request is sent only if its worst-case cost fits in what is left of the budget; each answer is
// committed to the store as it arrives; the same request asked twice at once is sent once.
import Foundation

/// Sends chat requests through a `ChatClient`, answering from and recording into a `RequestStore`.
///
/// The budget applies to everything the store has billed to `run` — earlier interrupted attempts of the same run
/// included — so resuming a run does not reset it. Before sending, the request's worst-case cost is reserved:
/// estimated prompt tokens × input price + `max_tokens` (or `defaultMaxTokens`) × `n` × output price. If what was
/// spent plus what is reserved by requests in flight plus this would pass the budget, the request waits for those in
/// flight to finish (their real cost is usually below their reservation) and looks again; once nothing is in
/// flight and it still does not fit, nothing is sent and `TeacherError.budgetExhausted` is thrown. The completion side of the reservation is a true upper bound; the
/// prompt side is an estimate (UTF-8 bytes / 3 plus per-message overhead, more than real tokenizers give for
/// ordinary text), so billed spend stays within the budget unless the estimate undercounts a prompt.
public actor CachedTeacher: Teacher {
    /// Counters of this teacher's life (not of earlier runs).
    public struct Stats: Sendable, Hashable {
        /// Requests sent to the client.
        public var sent = 0
        /// Requests answered from the store (or by joining an identical request in flight).
        public var cached = 0
        /// Requests that failed (recorded in the store's failures).
        public var failed = 0
        /// Dollars billed by this teacher.
        public var spentUSD: Double = 0
        /// Dollars billed to the run in total, earlier attempts included.
        public var runSpentUSD: Double = 0
        /// Models that the price table does not know (billed as free): show a warning once for each.
        public var unpricedModels: Set<String> = []
    }

    /// Counts the prompt tokens of a request's messages, for the budget's reservation.
    public typealias TokenEstimator = @Sendable ([APIMessage]) -> Int

    public nonisolated let model: String
    public nonisolated let endpoint: String
    public nonisolated let run: String
    public nonisolated let budget: Double?
    let client: any ChatClient
    let store: RequestStore
    let prices: PriceTable
    let defaultMaxTokens: Int
    let estimatePromptTokens: TokenEstimator

    private var reservedUSD: Double = 0
    private var releaseWaiters: [CheckedContinuation<Void, Never>] = []
    private var inFlight: [String: Task<TeacherOutcome, Error>] = [:]
    /// The counters so far.
    public private(set) var stats = Stats()

    /// - Parameters:
    ///   - endpoint: the base URL that goes into every request key (answers of different servers never mix).
    ///   - model: the teacher's model name, for provenance (each request names its own model for the API).
    ///   - run: the ledger's run name; the budget counts everything billed under it.
    ///   - budget: dollars; nil for no limit.
    ///   - defaultMaxTokens: the completion length assumed for the budget when a request sets no `max_tokens`.
    public init(client: any ChatClient, endpoint: String, model: String, store: RequestStore,
                prices: PriceTable = .default, run: String, budget: Double? = nil, defaultMaxTokens: Int = 1024,
                estimatePromptTokens: @escaping TokenEstimator = CachedTeacher.estimateTokens) throws {
        self.client = client
        self.endpoint = endpoint
        self.model = model
        self.store = store
        self.prices = prices
        self.run = run
        self.budget = budget
        self.defaultMaxTokens = defaultMaxTokens
        self.estimatePromptTokens = estimatePromptTokens
        stats.runSpentUSD = try store.spent(run: run)
    }

    /// A generous prompt-token estimate: UTF-8 bytes / 3, rounded up, plus 4 per message and 3 for the reply.
    public static let estimateTokens: TokenEstimator = { messages in
        messages.reduce(3) { $0 + 4 + ($1.role.utf8.count + $1.content.utf8.count + 2) / 3 }
    }

    /// The answer to `request` for sample `sampleIndex`: from the store, or sent and then stored.
    /// Throws `TeacherError.budgetExhausted` (nothing sent) or `CancellationError`; other failures are `.failed`.
    public func chat(_ request: ChatCompletionRequest, sampleIndex: Int) async throws -> TeacherOutcome {
        let key = RequestKey.chat(endpoint: endpoint, request: request, sampleIndex: sampleIndex)
        if let running = inFlight[key] {
            // The same request is already on its way: share its answer, send nothing.
            let outcome = try await running.value
            if case .answered(let response, _, _) = outcome {
                stats.cached += 1
                return .answered(response, key: key, cached: true)
            }
            return outcome
        }
        let task = Task { try await self.resolve(request, key: key) }
        inFlight[key] = task
        defer { inFlight[key] = nil }
        return try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
    }

    private func resolve(_ request: ChatCompletionRequest, key: String) async throws -> TeacherOutcome {
        let result = try await resolveAny(
            key: key, reservation: worstCaseCost(request), stored: { try $0.chatResponse() },
            send: { try await self.client.chat(request) },
            row: { response, cost in
                try StoredResponse.chat(key: key, endpoint: self.endpoint, run: self.run, request: request, response: response, costUSD: cost)
            },
            cost: { self.billedCost(model: request.model, response: $0.model, usage: $0.usage) })
        switch result {
        case .success(let (response, cached)): return .answered(response, key: key, cached: cached)
        case .failure(let failure): return .failed(key: key, reason: failure.reason)
        }
    }

    /// The completions answer to `request` for sample `sampleIndex`: from the store, or sent (under the budget) and
    /// then stored and billed in the ledger like a chat answer. A request that fails for good throws
    /// `TeacherError.retriesExhausted` with the reason (recorded in the store's failures).
    public func complete(_ request: CompletionRequest, sampleIndex: Int) async throws -> CompletionResponse {
        let key = RequestKey.completion(endpoint: endpoint, request: request, sampleIndex: sampleIndex)
        let price = priceMatch(request.model).price
        let promptTokens = request.prompt.estimatedTokens
        let completions = (request.maxTokens ?? defaultMaxTokens) * max(1, request.n ?? 1) * max(1, request.prompt.count)
        let reservation = price.cost(promptTokens: promptTokens, completionTokens: completions)
        let result = try await resolveAny(
            key: key, reservation: reservation, stored: { try $0.completionResponse() },
            send: { try await self.client.complete(request) },
            row: { response, cost in
                try StoredResponse.completion(key: key, endpoint: self.endpoint, run: self.run, request: request, response: response,
                                              costUSD: cost)
            },
            cost: { self.billedCost(model: request.model, response: $0.model, usage: $0.usage) })
        switch result {
        case .success(let (response, _)): return response
        case .failure(let failure): throw TeacherError.retriesExhausted(attempts: 1, last: failure.reason)
        }
    }

    /// Why a request failed for good.
    struct Failure: Error { var reason: String }

    /// The one path of every request: the store, else the budget's reservation, the client, the ledger.
    private func resolveAny<Response: Sendable>(
        key: String, reservation: Double, stored: (StoredResponse) throws -> Response,
        send: @Sendable () async throws -> Response, row: (Response, Double) throws -> StoredResponse,
        cost: (Response) -> Double
    ) async throws -> Result<(Response, Bool), Failure> {
        if let hit = try await store.lookupAsync(key) {
            stats.cached += 1
            return .success((try stored(hit), true))
        }
        try Task.checkCancellation()
        while let budget, stats.runSpentUSD + reservedUSD + reservation > budget {
            // Requests in flight hold reservations that their real cost may not use up: wait for one to finish
            // and look again. With nothing in flight, this request cannot fit.
            if reservedUSD <= 0 { throw TeacherError.budgetExhausted(spent: stats.runSpentUSD, budget: budget) }
            await withCheckedContinuation { releaseWaiters.append($0) }
            try Task.checkCancellation()
        }
        reservedUSD += reservation
        defer {
            reservedUSD -= reservation
            if reservedUSD < 1e-12 { reservedUSD = 0 }
            let waiters = releaseWaiters
            releaseWaiters = []
            for waiter in waiters { waiter.resume() }
        }
        stats.sent += 1
        let response: Response
        do {
            response = try await send()
        } catch {
            if error is CancellationError || Task.isCancelled { throw CancellationError() }
            let reason = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            stats.failed += 1
            try await store.recordFailureAsync(key: key, run: run, reason: reason)
            return .failure(Failure(reason: reason))
        }
        let billed = cost(response)
        if try await store.recordAsync(try row(response, billed)) {
            stats.spentUSD += billed
            stats.runSpentUSD += billed
        }
        return .success((response, false))
    }

    /// The most `request` can cost: estimated prompt plus its whole completion allowance for every choice.
    public func worstCaseCost(_ request: ChatCompletionRequest) -> Double {
        let price = priceMatch(request.model).price
        let completion = (request.maxTokens ?? defaultMaxTokens) * max(1, request.n ?? 1)
        return price.cost(promptTokens: estimatePromptTokens(request.messages), completionTokens: completion)
    }

    private func billedCost(model: String, response responseModel: String, usage: Usage?) -> Double {
        var match = priceMatch(model)
        if case .unknown = match, responseModel != model {
            match = prices.match(responseModel)
            if case .unknown = match {} else { stats.unpricedModels.remove(model) }
        }
        return match.price.cost(promptTokens: usage?.promptTokens ?? 0, completionTokens: usage?.completionTokens ?? 0)
    }

    private func priceMatch(_ model: String) -> PriceMatch {
        let match = prices.match(model)
        if case .unknown = match { stats.unpricedModels.insert(model) }
        return match
    }
}

/// A `CachedTeacher` seen as a `ChatClient`, for code written against clients (remote evaluation): chat and
/// completions go through the cache, the ledger and the budget; streaming goes to the client as it is.
public struct CachedChatClient: ChatClient {
    /// The cache, ledger and budget.
    public let teacher: CachedTeacher
    let streaming: any ChatClient

    /// Requests through `teacher`; `streaming` answers `streamChat` (not cached).
    public init(teacher: CachedTeacher, streaming: any ChatClient) {
        self.teacher = teacher
        self.streaming = streaming
    }

    public func chat(_ request: ChatCompletionRequest) async throws -> ChatCompletionResponse {
        switch try await teacher.chat(request, sampleIndex: 0) {
        case .answered(let response, _, _): return response
        case .failed(_, let reason): throw TeacherError.retriesExhausted(attempts: 1, last: reason)
        }
    }

    public func complete(_ request: CompletionRequest) async throws -> CompletionResponse {
        try await teacher.complete(request, sampleIndex: 0)
    }

    public func streamChat(_ request: ChatCompletionRequest) -> AsyncThrowingStream<ChatCompletionChunk, Error> {
        streaming.streamChat(request)
    }
}
