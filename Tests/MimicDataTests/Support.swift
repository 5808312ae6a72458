// Shared helpers of the MimicData tests: an in-memory teacher that caches its answers
// (as CachedTeacher will) and counts what it actually "sends".
import Foundation
import MimicCore
import MimicData
import MimicTeacher

/// Thrown by a responder to make the fake teacher report a failed request.
struct FakeFailure: Error { let reason: String }

/// A `Teacher` answering from a closure, with an in-memory cache keyed like the real one (request + sample
/// index): repeated requests are answered from the cache and not "sent". Failures are not cached.
final class MemoryTeacher: Teacher, @unchecked Sendable {
    typealias Responder = @Sendable (ChatCompletionRequest, Int) async throws -> String

    let model: String
    private let lock = NSLock()
    private var cache: [String: String] = [:]
    private var sentRequests: [(ChatCompletionRequest, Int)] = []
    private var callCount = 0
    var respond: Responder

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    init(model: String = "fake-teacher", respond: @escaping Responder) {
        self.model = model
        self.respond = respond
    }

    /// Requests that reached the responder (not answered from the cache), with their sample indices, in call order.
    var sent: [(ChatCompletionRequest, Int)] { locked { sentRequests } }
    /// Every call, cached or not.
    var calls: Int { locked { callCount } }

    func chat(_ request: ChatCompletionRequest, sampleIndex: Int) async throws -> TeacherOutcome {
        let key = RequestKey.chat(endpoint: "memory", request: request, sampleIndex: sampleIndex)
        let hit: String? = locked {
            callCount += 1
            return cache[key]
        }
        if let hit { return .answered(Self.response(hit, request), key: key, cached: true) }
        locked { sentRequests.append((request, sampleIndex)) }
        do {
            let text = try await respond(request, sampleIndex)
            locked { cache[key] = text }
            return .answered(Self.response(text, request), key: key, cached: false)
        } catch let failure as FakeFailure {
            return .failed(key: key, reason: failure.reason)
        }
    }

    static func response(_ text: String, _ request: ChatCompletionRequest) -> ChatCompletionResponse {
        ChatCompletionResponse(id: "fake", created: 0, model: request.model,
                               choices: [.init(index: 0, message: APIMessage(role: "assistant", content: text), finishReason: "stop")],
                               usage: nil)
    }
}

extension ChatCompletionRequest {
    /// The last user message's text.
    var lastUser: String { messages.last { $0.role == "user" }?.content ?? "" }
}

/// Writes `text` to `name` in `folder` and returns its URL.
func write(_ text: String, _ name: String, in folder: URL) throws -> URL {
    let url = folder.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url
}
