// ThrottledClient on scripted clients and a virtual clock: back-off schedule, jitter, Retry-After, token
// buckets, cancellation, and the streaming rule (retry only before the first chunk).
import Foundation
import Testing
@testable import MimicTeacher

/// A clock whose sleeps return at once and move time forward; it records every sleep.
final class VirtualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var time = 0.0
    private var sleepsTaken: [Double] = []

    var sleeps: [Double] { lock.lock(); defer { lock.unlock() }; return sleepsTaken }
    var now: Double { lock.lock(); defer { lock.unlock() }; return time }

    private func advance(_ seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        sleepsTaken.append(seconds)
        time += max(0, seconds)
    }

    var clock: TrafficClock {
        TrafficClock(now: { self.now }, sleep: { seconds in
            try Task.checkCancellation()
            self.advance(seconds)
            await Task.yield()
        })
    }
}

/// A ChatClient whose answers come from a closure given the attempt number (1-based, over all calls).
final class CountingClient: ChatClient, @unchecked Sendable {
    private let lock = NSLock()
    private var calls = 0
    private var starts: [Double] = []
    let respond: @Sendable (Int, ChatCompletionRequest) async throws -> String
    let usage: Usage?
    let clock: VirtualClock?

    init(usage: Usage? = nil, clock: VirtualClock? = nil,
         _ respond: @escaping @Sendable (Int, ChatCompletionRequest) async throws -> String) {
        self.respond = respond
        self.usage = usage
        self.clock = clock
    }

    var count: Int { lock.lock(); defer { lock.unlock() }; return calls }
    var startTimes: [Double] { lock.lock(); defer { lock.unlock() }; return starts }

    private func begin() -> Int {
        lock.lock(); defer { lock.unlock() }
        calls += 1
        starts.append(clock?.now ?? 0)
        return calls
    }

    func chat(_ request: ChatCompletionRequest) async throws -> ChatCompletionResponse {
        let n = begin()
        let text = try await respond(n, request)
        return ChatCompletionResponse(id: "x", created: 0, model: request.model,
                                      choices: [.init(index: 0, message: APIMessage(role: "assistant", content: text),
                                                      finishReason: "stop")], usage: usage)
    }

    func complete(_ request: CompletionRequest) async throws -> CompletionResponse {
        throw TeacherError.configuration("not scripted")
    }

    /// Streams the answer word by word; an answer starting "fail-after-first" throws after one chunk.
    func streamChat(_ request: ChatCompletionRequest) -> AsyncThrowingStream<ChatCompletionChunk, Error> {
        AsyncThrowingStream { continuation in
            Task {
                do {
                    let text = try await self.chat(request).choices[0].message.content
                    for word in text.split(separator: " ") {
                        continuation.yield(ChatCompletionChunk(id: "x", created: 0, model: "m", choices: [
                            .init(index: 0, delta: .init(content: String(word)), finishReason: nil)]))
                        if text.hasPrefix("fail-after-first") { throw TeacherError.transport("reset mid-stream") }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
        }
    }
}

let unavailable = TeacherError.http(status: 503, message: "overloaded", retryAfter: nil)

@Suite struct TrafficTests {
    @Test func backoffDoublesUpToTheCapThenGivesUp() async throws {
        let virtual = VirtualClock()
        let client = CountingClient { _, _ in throw unavailable }
        let policy = TrafficPolicy(maxAttempts: 5, baseDelay: 1, maxDelay: 3, jitter: false)
        let throttled = try ThrottledClient(wrapping: client, policy: policy, clock: virtual.clock)
        let error = await #expect(throws: TeacherError.self) { try await throttled.chat(userChat("x")) }
        guard case .retriesExhausted(let attempts, let last) = error else {
            Issue.record("expected retriesExhausted, got \(String(describing: error))"); return
        }
        #expect(attempts == 5 && last.contains("HTTP 503"))
        #expect(client.count == 5)
        #expect(virtual.sleeps == [1, 2, 3, 3])
        #expect(throttled.stats.retries == 4 && throttled.stats.retriesByReason == ["http 5xx": 4])
        #expect(throttled.stats.failed == 1 && throttled.stats.succeeded == 0)
    }

    @Test func fullJitterStaysUnderTheCapAndFollowsTheSeed() async throws {
        func delays(seed: UInt64) async throws -> [Double] {
            let virtual = VirtualClock()
            let client = CountingClient { _, _ in throw TeacherError.timeout(seconds: 1) }
            let policy = TrafficPolicy(maxAttempts: 8, baseDelay: 0.5, maxDelay: 10)
            let throttled = try ThrottledClient(wrapping: client, policy: policy, seed: seed, clock: virtual.clock)
            _ = try? await throttled.chat(userChat("x"))
            return virtual.sleeps
        }
        let a = try await delays(seed: 1), b = try await delays(seed: 1), c = try await delays(seed: 2)
        #expect(a.count == 7)
        #expect(a == b)
        #expect(a != c)
        let policy = TrafficPolicy(maxAttempts: 8, baseDelay: 0.5, maxDelay: 10)
        for (i, d) in a.enumerated() { #expect(d >= 0 && d <= policy.backoffCap(retry: i + 1)) }
    }

    @Test func retryAfterIsAFloorOnTheDelay() async throws {
        let virtual = VirtualClock()
        let client = CountingClient { n, _ in
            if n == 1 { throw TeacherError.http(status: 429, message: "slow down", retryAfter: 5) }
            return "fine"
        }
        let throttled = try ThrottledClient(wrapping: client, policy: TrafficPolicy(baseDelay: 0.1), clock: virtual.clock)
        #expect(try await throttled.chat(userChat("x")).choices[0].message.content == "fine")
        #expect(virtual.sleeps.reduce(0, +) >= 5)
        #expect(virtual.sleeps.first ?? 0 >= 5)
    }

    @Test func retryAfterBeyondTheLimitFailsAtOnce() async throws {
        let virtual = VirtualClock()
        let client = CountingClient { _, _ in throw TeacherError.http(status: 429, message: "quota", retryAfter: 86_400) }
        let throttled = try ThrottledClient(wrapping: client, policy: TrafficPolicy(maxRetryAfter: 600),
                                            clock: virtual.clock)
        let error = await #expect(throws: TeacherError.self) { try await throttled.chat(userChat("x")) }
        #expect(error?.localizedDescription.contains("Retry-After") == true)
        #expect(client.count == 1 && virtual.sleeps.isEmpty)
    }

    @Test func nonTeacherErrorsAreNotRetried() async throws {
        struct Odd: Error {}
        let client = CountingClient { _, _ in throw Odd() }
        let throttled = try ThrottledClient(wrapping: client, clock: VirtualClock().clock)
        await #expect(throws: Odd.self) { try await throttled.chat(userChat("x")) }
        #expect(client.count == 1)
    }

    @Test func requestBucketSpacesRequests() async throws {
        let virtual = VirtualClock()
        let client = CountingClient(clock: virtual) { _, _ in "ok" }
        // 60 per minute with a one-second burst = one request, then one every second.
        let throttled = try ThrottledClient(wrapping: client, policy: TrafficPolicy(requestsPerMinute: 60),
                                            clock: virtual.clock)
        for _ in 0..<5 { _ = try await throttled.chat(userChat("x")) }
        let starts = client.startTimes
        #expect(starts.count == 5)
        for (a, b) in zip(starts, starts.dropFirst()) { #expect(abs(b - a - 1) < 1e-9, "\(starts)") }
    }

    @Test func tokenBucketChargesEstimateAndCorrectsWithUsage() async throws {
        let virtual = VirtualClock()
        // Each request is estimated at (system+user chars)/4 + 90 max_tokens, but really costs 600 tokens.
        let client = CountingClient(usage: Usage(promptTokens: 100, completionTokens: 500), clock: virtual) { _, _ in "ok" }
        let policy = TrafficPolicy(tokensPerMinute: 6000, burstSeconds: 1)  // 100 tokens/s, bucket of 100
        let throttled = try ThrottledClient(wrapping: client, policy: policy, clock: virtual.clock)
        let request = userChat("x", maxTokens: 90)
        let estimate = ThrottledClient.estimateTokens(request)
        #expect(estimate > 90 && estimate < 100)
        for _ in 0..<4 { _ = try await throttled.chat(request) }
        let starts = client.startTimes
        // The first goes at once from the full bucket (100 tokens) and really uses 600, so the second waits
        // for 500 + its own estimate; from then on each request waits for the 600 its predecessor used.
        #expect(starts.count == 4 && starts[0] == 0)
        #expect(abs(starts[1] - Double(500 + estimate) / 100) < 1e-6, "\(starts)")
        for (a, b) in zip(starts.dropFirst(), starts.dropFirst(2)) { #expect(abs((b - a) - 6) < 1e-6, "\(starts)") }
    }

    @Test func cancellationStopsWaitingAndReturnsThePermit() async throws {
        let gate = AsyncStream<Void>.makeStream()
        let client = CountingClient { n, _ in
            if n == 1 { for await _ in gate.stream {} }  // the first call holds its permit until released
            return "ok \(n)"
        }
        let throttled = try ThrottledClient(wrapping: client, policy: TrafficPolicy(maxConcurrent: 1))
        let first = Task { try await throttled.chat(userChat("first")) }
        while client.count < 1 { await Task.yield() }
        let waiting = Task { try await throttled.chat(userChat("second")) }
        try await Task.sleep(nanoseconds: 50_000_000)
        #expect(client.count == 1)  // the second is waiting for the permit
        let start = Date()
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(Date().timeIntervalSince(start) < 1)
        gate.continuation.finish()
        #expect(try await first.value.choices[0].message.content == "ok 1")
        // No permit was lost: the next call goes straight through.
        let third = try await withinSeconds(2) { try await throttled.chat(userChat("third")) }
        #expect(third.choices[0].message.content == "ok 2")
    }

    @Test func cancellationInterruptsBackoff() async throws {
        let client = CountingClient { _, _ in throw unavailable }
        let throttled = try ThrottledClient(wrapping: client, policy: TrafficPolicy(baseDelay: 30, maxDelay: 30,
                                                                                    jitter: false))
        let task = Task { try await throttled.chat(userChat("x")) }
        while client.count < 1 { await Task.yield() }
        try await Task.sleep(nanoseconds: 20_000_000)
        let start = Date()
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(Date().timeIntervalSince(start) < 1)
        #expect(client.count == 1)
    }

    @Test func streamsRetryOnlyBeforeTheFirstChunk() async throws {
        let virtual = VirtualClock()
        let early = CountingClient { n, _ in
            if n == 1 { throw TeacherError.transport("refused") }
            return "hello there world"
        }
        let throttled = try ThrottledClient(wrapping: early, clock: virtual.clock)
        let answer = try await throttled.chatByStreaming(userChat("x"))
        #expect(answer.choices.first?.message.content == "hellothereworld")
        #expect(early.count == 2 && throttled.stats.retries == 1)

        let late = CountingClient { _, _ in "fail-after-first chunk" }
        let lateThrottled = try ThrottledClient(wrapping: late, clock: virtual.clock)
        let error = await #expect(throws: TeacherError.self) { try await lateThrottled.chatByStreaming(userChat("x")) }
        #expect(error == .transport("reset mid-stream"))
        #expect(late.count == 1 && lateThrottled.stats.retries == 0)
    }

    @Test func invalidPoliciesAreRejectedByField() {
        #expect(throws: TeacherError.self) { try TrafficPolicy(maxConcurrent: 0).validate() }
        #expect(throws: TeacherError.self) { try TrafficPolicy(requestsPerMinute: 0).validate() }
        #expect(throws: TeacherError.self) { try TrafficPolicy(maxAttempts: 0).validate() }
        #expect(throws: TeacherError.self) { try TrafficPolicy(baseDelay: 5, maxDelay: 1).validate() }
        do {
            try TrafficPolicy(tokensPerMinute: -1).validate()
        } catch {
            #expect(error.localizedDescription.contains("tokensPerMinute"))
        }
    }
}
