// Traffic control for any remote request: bounded concurrency, request and token rate limits (token buckets),
// and retries with exponential back-off, full jitter and `Retry-After`. `ThrottledClient` puts it before a `ChatClient`.
import Foundation
import MimicCore

/// How hard to press a teacher: concurrency, rate limits and retries.
public struct TrafficPolicy: Sendable, Hashable {
    /// Requests in flight at once.
    public var maxConcurrent: Int
    /// Requests started per minute; nil for no limit.
    public var requestsPerMinute: Double?
    /// Tokens (prompt + completion) per minute; nil for no limit. A request is charged ~chars/4 of its
    /// messages plus its `max_tokens` up front, and corrected with the usage the server reports.
    public var tokensPerMinute: Double?
    /// Attempts per request, the first included.
    public var maxAttempts: Int
    /// Back-off before retry k is up to `baseDelay * 2^(k-1)` seconds, at most `maxDelay`.
    public var baseDelay: Double
    /// The longest back-off, in seconds (a longer `Retry-After` is still honoured, up to `maxRetryAfter`).
    public var maxDelay: Double
    /// Full jitter: the back-off is drawn uniformly from [0, cap] (true) or is the cap itself (false).
    public var jitter: Bool
    /// Seconds' worth of the per-minute rates that may go at once (the buckets' size).
    public var burstSeconds: Double
    /// A `Retry-After` longer than this (seconds) is not waited for: the request fails at once.
    public var maxRetryAfter: Double
    /// Completion tokens assumed for a request without `max_tokens`, until its usage is known.
    public var defaultCompletionTokens: Int

    public init(maxConcurrent: Int = 16, requestsPerMinute: Double? = nil, tokensPerMinute: Double? = nil,
                maxAttempts: Int = 6, baseDelay: Double = 1, maxDelay: Double = 60, jitter: Bool = true,
                burstSeconds: Double = 1, maxRetryAfter: Double = 600, defaultCompletionTokens: Int = 256) {
        self.maxConcurrent = maxConcurrent
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.burstSeconds = burstSeconds
        self.maxRetryAfter = maxRetryAfter
        self.defaultCompletionTokens = defaultCompletionTokens
    }

    /// Checks the numbers; throws `TeacherError.configuration` naming the bad field.
    public func validate() throws {
        func fail(_ field: String, _ value: Any, _ rule: String) throws -> Never {
            throw TeacherError.configuration("traffic policy: \(field) is \(value); it must be \(rule)")
        }
        if maxConcurrent < 1 { try fail("maxConcurrent (--concurrency)", maxConcurrent, "at least 1") }
        if let r = requestsPerMinute, !(r > 0 && r.isFinite) { try fail("requestsPerMinute (--rpm)", r, "positive") }
        if let t = tokensPerMinute, !(t > 0 && t.isFinite) { try fail("tokensPerMinute (--tpm)", t, "positive") }
        if maxAttempts < 1 { try fail("maxAttempts (--max-attempts)", maxAttempts, "at least 1") }
        if !(baseDelay >= 0 && baseDelay.isFinite) { try fail("baseDelay", baseDelay, "zero or more seconds") }
        if !(maxDelay >= baseDelay && maxDelay.isFinite) { try fail("maxDelay", maxDelay, "at least baseDelay") }
        if !(burstSeconds > 0 && burstSeconds.isFinite) { try fail("burstSeconds", burstSeconds, "positive") }
        if !(maxRetryAfter >= 0) { try fail("maxRetryAfter", maxRetryAfter, "zero or more seconds") }
    }

    /// The back-off cap before retry `retry` (1-based): `min(maxDelay, baseDelay * 2^(retry-1))`.
    public func backoffCap(retry: Int) -> Double {
        min(maxDelay, baseDelay * pow(2, Double(max(0, min(retry - 1, 60)))))
    }
}

/// Where traffic control reads the time and sleeps; inject a virtual one to test timing without waiting.
public struct TrafficClock: Sendable {
    /// Seconds on a monotonic clock.
    public var now: @Sendable () -> Double
    /// Sleeps that many seconds; throws `CancellationError` at once when the task is cancelled.
    public var sleep: @Sendable (Double) async throws -> Void

    public init(now: @escaping @Sendable () -> Double, sleep: @escaping @Sendable (Double) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    /// The real clock: `ContinuousClock` and `Task.sleep`.
    public static var system: TrafficClock {
        let start = ContinuousClock.now
        return TrafficClock(
            now: {
                let d = ContinuousClock.now - start
                return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
            },
            sleep: { seconds in
                guard seconds > 0 else { return try Task.checkCancellation() }
                try await Task.sleep(nanoseconds: UInt64(min(seconds, 1e7) * 1e9))
            })
    }
}

/// What traffic control did, for reports.
public struct TrafficStats: Sendable, Hashable {
    /// Requests made through traffic control (each may take several attempts).
    public var requests = 0
    /// Attempts sent (to the wrapped client, or of the operation).
    public var attempts = 0
    /// Attempts that were retries.
    public var retries = 0
    /// Retries by the reason of the failure before them: "http 429", "http 5xx", "transport", "timeout", …
    public var retriesByReason: [String: Int] = [:]
    /// Calls that ended with an answer.
    public var succeeded = 0
    /// Calls that ended with an error (cancelled ones included).
    public var failed = 0
    /// The most attempts in flight at once.
    public var peakInFlight = 0
    /// Seconds spent waiting for the rate limits (and a server's `Retry-After` pause), summed over requests.
    public var rateWaitSeconds = 0.0
    /// Seconds of back-off before retries, summed over requests.
    public var backoffSeconds = 0.0

    public init() {}
}

/// `TrafficPolicy` applied to any kind of request: at most `maxConcurrent` in flight, requests and tokens per minute
/// as token buckets, and retries of retryable errors with back-off, full jitter and `Retry-After`.
///
/// `ThrottledClient` puts one in front of a `ChatClient`; a request that is not a chat (a toxicity score) calls
/// `send` with its own operation. An operation signals a retryable failure by throwing a retryable `TeacherError`
/// (408, 409, 429, 5xx, transport, time-out, malformed answer; `.http`'s `retryAfter` is honoured). After the last
/// attempt such a failure becomes `TeacherError.retriesExhausted`; any other error is thrown as it is, after one
/// attempt. Cancellation stops every wait at once and throws `CancellationError`.
public final class TrafficController: Sendable {
    /// The limits and the retry schedule.
    public let policy: TrafficPolicy

    private let clock: TrafficClock
    private let permits: AsyncSemaphore
    private let requestBucket: TokenBucket?
    private let tokenBucket: TokenBucket?
    private let state: TrafficLocked<State>

    private struct State {
        var stats = TrafficStats()
        var random: SplitMix64
        var inFlight = 0
        /// No attempt starts before this time (a server's `Retry-After` holds back everyone).
        var pausedUntil = -Double.infinity
    }

    /// A controller for `policy`.
    /// - Parameters:
    ///   - seed: seeds the jitter draws (same seed, same delays).
    ///   - clock: time and sleep; `.system` unless testing.
    /// - Throws: `TeacherError.configuration` when the policy is invalid.
    public init(policy: TrafficPolicy = TrafficPolicy(), seed: UInt64 = 0, clock: TrafficClock = .system) throws {
        try policy.validate()
        self.policy = policy
        self.clock = clock
        permits = AsyncSemaphore(permits: policy.maxConcurrent)
        requestBucket = policy.requestsPerMinute.map {
            TokenBucket(perSecond: $0 / 60, capacity: max(1, $0 / 60 * policy.burstSeconds), clock: clock)
        }
        tokenBucket = policy.tokensPerMinute.map {
            TokenBucket(perSecond: $0 / 60, capacity: max(1, $0 / 60 * policy.burstSeconds), clock: clock)
        }
        state = TrafficLocked(State(random: SplitMix64(seed: seed)))
    }

    /// A snapshot of the counters.
    public var stats: TrafficStats { state.withLock { $0.stats } }

    /// Runs `operation` once admitted by the policy, again after each retryable failure (backing off), until it
    /// answers or the attempts are used up.
    /// - Parameters:
    ///   - estimate: tokens charged to the token bucket up front (0 for a request that is not counted in tokens).
    ///   - usage: the tokens the answer reports, to correct the estimate (nil: keep it).
    public func send<T>(estimate: Int = 0, usage: (T) -> Usage? = { _ in nil },
                        _ operation: () async throws -> T) async throws -> T {
        beginRequest()
        var attempt = 0
        while true {
            attempt += 1
            try await admit(estimate: estimate)
            let result: Result<T, Error>
            do { result = .success(try await operation()) } catch { result = .failure(error) }
            await release()
            switch result {
            case .success(let value):
                await correct(estimate: estimate, actual: usage(value))
                endRequest(succeeded: true)
                return value
            case .failure(let error):
                try await afterFailure(error, attempt: attempt)
            }
        }
    }

    // MARK: The steps of a request (`send`, and `ThrottledClient`'s streams, which retry only before a chunk)

    /// Counts a request that is starting (it may take several attempts).
    func beginRequest() {
        state.withLock { $0.stats.requests += 1 }
    }

    /// Counts a request that ended, with an answer or not.
    func endRequest(succeeded: Bool) {
        state.withLock {
            if succeeded { $0.stats.succeeded += 1 } else { $0.stats.failed += 1 }
        }
    }

    /// Decides after a failed attempt: rethrow (cancelled, not retryable, attempts used up) or back off.
    func afterFailure(_ error: Error, attempt: Int) async throws {
        if error is CancellationError || Task.isCancelled {
            endRequest(succeeded: false)
            throw CancellationError()
        }
        guard let teacher = error as? TeacherError, teacher.isRetryable else {
            endRequest(succeeded: false)
            throw error
        }
        var retryAfter: Double?
        if case .http(_, _, let after) = teacher { retryAfter = after }
        if attempt >= policy.maxAttempts {
            endRequest(succeeded: false)
            throw TeacherError.retriesExhausted(attempts: attempt, last: teacher.localizedDescription)
        }
        if let after = retryAfter, after > policy.maxRetryAfter {
            endRequest(succeeded: false)
            throw TeacherError.retriesExhausted(
                attempts: attempt,
                last: teacher.localizedDescription + " (Retry-After \(after) s is over the \(policy.maxRetryAfter) s limit)")
        }
        let delay = state.withLock { s -> Double in
            let cap = policy.backoffCap(retry: attempt)
            let drawn = policy.jitter ? cap * s.random.nextUnit() : cap
            s.stats.retries += 1
            s.stats.retriesByReason[Self.reason(teacher), default: 0] += 1
            return max(drawn, retryAfter ?? 0)
        }
        let now = clock.now()
        state.withLock {
            $0.stats.backoffSeconds += delay
            // The server asked everyone to wait: hold back new attempts too, not only this one.
            if let after = retryAfter { $0.pausedUntil = max($0.pausedUntil, now + after) }
        }
        try await clock.sleep(delay)
    }

    /// Takes a concurrency permit, then waits for the rate limits; holds the permit on return.
    func admit(estimate: Int) async throws {
        do {
            try await permits.acquire()
        } catch {
            endRequest(succeeded: false)
            throw error
        }
        do {
            var wait = max(0, state.withLock { $0.pausedUntil } - clock.now())
            if let bucket = requestBucket { wait = max(wait, await bucket.reserve(1)) }
            if let bucket = tokenBucket { wait = max(wait, await bucket.reserve(Double(estimate))) }
            if wait > 0 {
                state.withLock { $0.stats.rateWaitSeconds += wait }
                try await clock.sleep(wait)
            }
            try Task.checkCancellation()
        } catch {
            await permits.release()
            endRequest(succeeded: false)
            throw error
        }
        state.withLock {
            $0.stats.attempts += 1
            $0.inFlight += 1
            $0.stats.peakInFlight = max($0.stats.peakInFlight, $0.inFlight)
        }
    }

    /// Returns the permit `admit` took.
    func release() async {
        state.withLock { $0.inFlight -= 1 }
        await permits.release()
    }

    /// Corrects the token bucket by what the answer really used.
    func correct(estimate: Int, actual: Usage?) async {
        guard let bucket = tokenBucket, let actual else { return }
        await bucket.adjust(by: Double(actual.totalTokens - estimate))
    }

    /// A short name for why an attempt failed, for `retriesByReason`.
    public static func reason(_ error: TeacherError) -> String {
        switch error {
        case .http(let status, _, _): return status >= 500 ? "http 5xx" : "http \(status)"
        case .transport: return "transport"
        case .timeout: return "timeout"
        case .malformedResponse: return "malformed"
        case .budgetExhausted: return "budget"
        case .configuration: return "configuration"
        case .retriesExhausted: return "retries exhausted"
        }
    }
}

/// A counting semaphore for tasks: waiting suspends, never blocks a thread; a cancelled waiter leaves at once.
actor AsyncSemaphore {
    private var permits: Int
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, Error>)] = []
    private var cancelledEarly: Set<UInt64> = []
    private var nextID: UInt64 = 0

    init(permits: Int) { self.permits = permits }

    /// Takes a permit, waiting in arrival order; throws `CancellationError` (holding nothing) if cancelled.
    func acquire() async throws {
        try Task.checkCancellation()
        if permits > 0 {
            permits -= 1
            return
        }
        nextID += 1
        let id = nextID
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                if cancelledEarly.remove(id) != nil {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    /// Returns a permit, handing it straight to the longest waiter if there is one.
    func release() {
        if waiters.isEmpty {
            permits += 1
        } else {
            waiters.removeFirst().continuation.resume()
        }
    }

    private func cancel(_ id: UInt64) {
        if let index = waiters.firstIndex(where: { $0.id == id }) {
            waiters.remove(at: index).continuation.resume(throwing: CancellationError())
        } else {
            cancelledEarly.insert(id)
        }
    }
}

/// A token bucket that hands out reservations: the caller learns how long to wait and the tokens are taken
/// at once (the level may go below zero), so waiters are served in arrival order without polling.
actor TokenBucket {
    private let perSecond: Double
    private let capacity: Double
    private let clock: TrafficClock
    private var level: Double
    private var updated: Double

    init(perSecond: Double, capacity: Double, clock: TrafficClock) {
        self.perSecond = perSecond
        self.capacity = capacity
        self.clock = clock
        level = capacity
        updated = clock.now()
    }

    /// Takes `cost` tokens; returns the seconds to wait before using them. A cost above the capacity waits for a
    /// full bucket and then goes into debt.
    func reserve(_ cost: Double) -> Double {
        let now = clock.now()
        refill(now)
        let needed = min(cost, capacity) - level
        level -= cost
        return max(0, needed) / perSecond
    }

    /// Gives tokens back (negative) or takes more (positive) once the real cost is known.
    func adjust(by difference: Double) {
        refill(clock.now())
        level = min(capacity, level - difference)
    }

    private func refill(_ now: Double) {
        if now > updated {
            level = min(capacity, level + (now - updated) * perSecond)
            updated = now
        }
    }
}

/// A value behind a lock, for counters touched from many tasks (never held across an `await`).
final class TrafficLocked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
