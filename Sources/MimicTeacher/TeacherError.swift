// Errors of talking to a teacher: typed, each naming what failed and what to do, never holding the API key.
import Foundation

/// A failure of a teacher request or of the collection around it.
public enum TeacherError: Error, LocalizedError, Sendable, Hashable {
    /// The server answered with an HTTP error status; `retryAfter` is its `Retry-After`, in seconds.
    case http(status: Int, message: String, retryAfter: Double?)
    /// The connection failed or was reset before a whole answer arrived.
    case transport(String)
    /// No whole answer within the per-request time-out.
    case timeout(seconds: Double)
    /// The answer arrived but is not what the API promises (bad JSON, a stream cut mid-event).
    case malformedResponse(String)
    /// Sending the next request could exceed `--budget`; nothing more is sent.
    case budgetExhausted(spent: Double, budget: Double)
    /// A setting is missing or wrong (base URL, key, price table).
    case configuration(String)
    /// All retries were used up; `last` is the final attempt's error.
    case retriesExhausted(attempts: Int, last: String)

    public var errorDescription: String? {
        switch self {
        case .http(let status, let message, _):
            return "the server answered HTTP \(status): \(message)"
        case .transport(let what):
            return "connection to the teacher failed: \(what)"
        case .timeout(let seconds):
            return "teacher did not answer within \(seconds) s (raise --timeout if the model is slow)"
        case .malformedResponse(let what):
            return "teacher's answer is malformed: \(what)"
        case .budgetExhausted(let spent, let budget):
            return String(format: "budget reached: $%.4f spent of $%.4f; nothing more is sent (raise --budget to go on)",
                          spent, budget)
        case .configuration(let what):
            return what
        case .retriesExhausted(let attempts, let last):
            return "gave up after \(attempts) attempts: \(last)"
        }
    }

    /// Whether a later attempt may succeed: 408, 409, 429, 5xx, resets, time-outs and malformed answers.
    public var isRetryable: Bool {
        switch self {
        case .http(let status, _, _): return status == 408 || status == 409 || status == 429 || status >= 500
        case .transport, .timeout, .malformedResponse: return true
        case .budgetExhausted, .configuration, .retriesExhausted: return false
        }
    }
}
