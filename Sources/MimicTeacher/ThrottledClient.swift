// A `ChatClient` behind traffic control: chat and completions sent through a `TrafficController` (admitted by the
// policy, retried with back-off), streams retried only before their first chunk.
import Foundation

/// A `ChatClient` that puts `TrafficPolicy` in front of another: at most `maxConcurrent` calls in flight,
/// requests and tokens per minute as token buckets, and retries of retryable errors.
///
/// After the last attempt a retryable failure becomes `TeacherError.retriesExhausted`; a non-retryable one
/// (400, 401, 404, …) is thrown as it is, after one attempt. Cancellation stops every wait at once and throws
/// `CancellationError`. Streams are retried only before their first chunk.
public final class ThrottledClient: ChatClient {
    /// The client that sends the requests.
    public let base: any ChatClient
    /// The traffic control every call goes through.
    public let traffic: TrafficController

    /// The limits and the retry schedule.
    public var policy: TrafficPolicy { traffic.policy }

    /// Wraps `base`.
    /// - Parameters:
    ///   - seed: seeds the jitter draws (same seed, same delays).
    ///   - clock: time and sleep; `.system` unless testing.
    /// - Throws: `TeacherError.configuration` when the policy is invalid.
    public init(wrapping base: any ChatClient, policy: TrafficPolicy = TrafficPolicy(), seed: UInt64 = 0,
                clock: TrafficClock = .system) throws {
        self.base = base
        traffic = try TrafficController(policy: policy, seed: seed, clock: clock)
    }

    /// A snapshot of the counters.
    public var stats: TrafficStats { traffic.stats }

    // MARK: ChatClient

    /// The wrapped client's `chat`, admitted by the policy and retried on retryable errors.
    public func chat(_ request: ChatCompletionRequest) async throws -> ChatCompletionResponse {
        let estimate = Self.estimateTokens(request, defaultCompletion: policy.defaultCompletionTokens)
        return try await traffic.send(estimate: estimate, usage: { $0.usage }) { try await self.base.chat(request) }
    }

    /// The wrapped client's `complete`, admitted by the policy and retried on retryable errors.
    public func complete(_ request: CompletionRequest) async throws -> CompletionResponse {
        let chars = request.prompt.texts.reduce(0) { $0 + $1.count }
        let estimate = chars / 4 + (request.maxTokens ?? policy.defaultCompletionTokens) * max(1, request.n ?? 1)
        return try await traffic.send(estimate: estimate, usage: { $0.usage }) { try await self.base.complete(request) }
    }

    /// The wrapped client's stream, admitted by the policy; retried only if it fails before its first chunk.
    public func streamChat(_ request: ChatCompletionRequest) -> AsyncThrowingStream<ChatCompletionChunk, Error> {
        let estimate = Self.estimateTokens(request, defaultCompletion: policy.defaultCompletionTokens)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await self.stream(request, estimate: estimate) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Tokens charged up front: ~chars/4 of the messages plus `max_tokens` (or the default) per choice.
    public static func estimateTokens(_ request: ChatCompletionRequest, defaultCompletion: Int = 256) -> Int {
        let chars = request.messages.reduce(0) { $0 + $1.content.count + $1.role.count + 4 }
        return chars / 4 + (request.maxTokens ?? defaultCompletion) * max(1, request.n ?? 1)
    }

    /// The stream path: `TrafficController.send`'s steps, retrying only while no chunk has been passed on.
    private func stream(_ request: ChatCompletionRequest, estimate: Int,
                        emit: (ChatCompletionChunk) -> Void) async throws {
        traffic.beginRequest()
        var attempt = 0
        while true {
            attempt += 1
            try await traffic.admit(estimate: estimate)
            var started = false
            var reported: Usage?
            do {
                for try await chunk in base.streamChat(request) {
                    started = true
                    if let u = chunk.usage { reported = u }
                    emit(chunk)
                }
                await traffic.release()
                await traffic.correct(estimate: estimate, actual: reported)
                traffic.endRequest(succeeded: true)
                return
            } catch {
                await traffic.release()
                if started {
                    traffic.endRequest(succeeded: false)
                    throw error
                }
                try await traffic.afterFailure(error, attempt: attempt)
            }
        }
    }
}
