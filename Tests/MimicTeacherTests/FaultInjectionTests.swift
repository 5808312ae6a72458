// A misbehaving loopback teacher (raw sockets): 429s, 500s, dropped connections, slow answers, bad JSON and
// cut streams; every request must end as an answer or as an error that names its fault, never a hang.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import MimicTeacher

/// The faults the raw fake injects, chosen by the prompt's first word.
enum Fault: String, CaseIterable, Sendable {
    case ok, busyOnce, dropOnce, error500, drop, slow, malformed, badRequest, streamCut

    /// What the fake does for the `attempt`-th request (1-based) with this fault.
    func action(prompt: String, attempt: Int, timeout: Double) -> RawAction {
        let good = RawAction.json(200, chatAnswerJSON(model: "raw", text: fakeAnswer(prompt)))
        switch self {
        case .ok: return good
        case .busyOnce:
            return attempt == 1 ? .json(429, jsonData(APIErrorBody(message: "rate limited", type: "rate")),
                                        headers: [("Retry-After", "1")]) : good
        case .dropOnce: return attempt == 1 ? .drop : good
        case .error500: return .json(500, jsonData(APIErrorBody(message: "fake overloaded", type: "server")))
        case .drop: return .drop
        case .slow: return .json(200, chatAnswerJSON(model: "raw", text: "late"), delay: timeout * 3)
        case .malformed: return .json(200, Data("{\"id\": \"x\", \"choices\": [{\"message\": ".utf8))
        case .badRequest: return .json(400, jsonData(APIErrorBody(message: "fake rejects the request", type: "bad")))
        case .streamCut:
            let events = sseEvents(model: "raw", text: fakeAnswer(prompt), done: false)
            return .stream(Array(events.prefix(3)) + ["data: {\"id\": \"c\", \"obj"])
        }
    }
}

/// Starts the fault server; the prompt "<fault> <n>" picks the fault, attempts counted per prompt.
func withFaultServer<T>(timeout: Double, _ body: (TeacherEndpoint, ServerLog) async throws -> T) async throws -> T {
    let log = ServerLog()
    let server = try RawHTTPServer { request in
        let prompt = request.prompt
        let attempt = log.hit(prompt)
        let fault = Fault(rawValue: String(prompt.split(separator: " ").first ?? "")) ?? .ok
        return fault.action(prompt: prompt, attempt: attempt, timeout: timeout)
    }
    defer { server.stop() }
    return try await body(TeacherEndpoint(baseURL: "http://127.0.0.1:\(server.port)/v1",
                                          apiKey: "sk-fault-KEY-9876543210"), log)
}

/// Runs `operation`, failing the test (instead of hanging) if it takes longer than `seconds`.
func withinSeconds<T: Sendable>(_ seconds: Double, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TeacherError.timeout(seconds: seconds)
        }
        return value
    }
}

@Suite struct FaultInjectionTests {
    @Test func mixedFaultBatchEndsInAnswersOrNamedErrors() async throws {
        let timeout = 0.4
        try await withFaultServer(timeout: timeout) { endpoint, log in
            let client = try OpenAIClient(endpoint: endpoint, timeout: timeout)
            defer { Task { try? await client.shutdown() } }
            let policy = TrafficPolicy(maxConcurrent: 8, maxAttempts: 3, baseDelay: 0.01, maxDelay: 0.05)
            let throttled = try ThrottledClient(wrapping: client, policy: policy, seed: 7)
            let faults = (0..<50).map { Fault.allCases[$0 % Fault.allCases.count] }
            let outcomes = try await withinSeconds(15) {
                await withTaskGroup(of: (Int, Result<String, Error>).self) { group in
                    for (i, fault) in faults.enumerated() {
                        group.addTask {
                            let request = userChat("\(fault.rawValue) \(i)")
                            do {
                                let answer = try await (fault == .streamCut ? throttled.chatByStreaming(request)
                                                                                : throttled.chat(request))
                                return (i, .success(answer.choices.first?.message.content ?? ""))
                            } catch {
                                return (i, .failure(error))
                            }
                        }
                    }
                    return await group.reduce(into: [Int: Result<String, Error>]()) { $0[$1.0] = $1.1 }
                }
            }
            #expect(outcomes.count == 50)
            for (i, fault) in faults.enumerated() {
                let prompt = "\(fault.rawValue) \(i)"
                guard let outcome = outcomes[i] else { Issue.record("no outcome for \(prompt)"); continue }
                Self.check(outcome, fault: fault, prompt: prompt, attempts: log.count(prompt), maxAttempts: 3)
            }
            let stats = throttled.stats
            #expect(stats.requests == 50)
            #expect(stats.succeeded + stats.failed == 50)
            #expect(stats.retries == stats.attempts - 50)
            #expect(stats.retriesByReason["http 429"] == faults.filter { $0 == .busyOnce }.count)
        }
    }

    /// What each fault must end as, and how many attempts the server may have seen.
    static func check(_ outcome: Result<String, Error>, fault: Fault, prompt: String, attempts: Int, maxAttempts: Int) {
        let description: String
        switch outcome {
        case .success(let text):
            #expect([.ok, .busyOnce, .dropOnce].contains(fault), "\(prompt) should have failed, got \(text)")
            #expect(text == fakeAnswer(prompt))
            #expect(attempts == (fault == .ok ? 1 : 2), "\(prompt): \(attempts) attempts")
            return
        case .failure(let error):
            description = error.localizedDescription
            #expect(!description.contains("sk-fault-KEY"))
        }
        switch fault {
        case .ok, .busyOnce, .dropOnce:
            Issue.record("\(prompt) should have succeeded: \(description)")
        case .error500:
            #expect(description.contains("gave up after 3 attempts") && description.contains("HTTP 500"), "\(description)")
            #expect(attempts == maxAttempts)
        case .drop:
            #expect(description.contains("gave up after 3") && description.contains("connection"), "\(description)")
            #expect(attempts == maxAttempts)
        case .slow:
            #expect(description.contains("gave up after 3") && description.contains("did not answer within"),
                    "\(description)")
            #expect(attempts == maxAttempts)
        case .malformed:
            #expect(description.contains("gave up after 3") && description.contains("malformed"), "\(description)")
            #expect(attempts == maxAttempts)
        case .badRequest:
            #expect(description.contains("HTTP 400") && description.contains("fake rejects"), "\(description)")
            #expect(attempts == 1)
        case .streamCut:
            // The cut comes after the first chunks were passed on, so the stream is not retried.
            #expect(description.contains("stream cut"), "\(description)")
            #expect(attempts == 1)
        }
    }

    @Test func directClientNamesEachFault() async throws {
        let timeout = 0.3
        try await withFaultServer(timeout: timeout) { endpoint, _ in
            let client = try OpenAIClient(endpoint: endpoint, timeout: timeout)
            defer { Task { try? await client.shutdown() } }
            func failure(_ fault: Fault) async -> TeacherError? {
                do {
                    let request = userChat("\(fault.rawValue) direct")
                    _ = try await (fault == .streamCut ? client.chatByStreaming(request) : client.chat(request))
                    return nil
                } catch { return error as? TeacherError }
            }
            guard case .transport = await failure(.drop) else { Issue.record("drop is not .transport"); return }
            #expect(await failure(.slow) == .timeout(seconds: timeout))
            guard case .malformedResponse(let bad) = await failure(.malformed) else {
                Issue.record("bad JSON is not .malformedResponse"); return
            }
            #expect(bad.contains("POST /chat/completions") && bad.contains("{\"id\""))
            guard case .malformedResponse(let cut) = await failure(.streamCut) else {
                Issue.record("cut stream is not .malformedResponse"); return
            }
            #expect(cut.contains("stream cut") && cut.contains("inside an event"))
            guard case .http(500, let message, nil) = await failure(.error500) else {
                Issue.record("500 is not .http(500)"); return
            }
            #expect(message.contains("fake overloaded"))
        }
    }

    @Test func refusedConnectionFailsFastAsTransport() async throws {
        // A socket bound but not listening: connecting is refused, and no other test can take the port meanwhile
        // (a port merely freed could be reused by a server of a test running in parallel).
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        #expect(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let client = try OpenAIClient(endpoint: TeacherEndpoint(baseURL: "http://127.0.0.1:\(port)/v1"), timeout: 20)
        defer { Task { try? await client.shutdown() } }
        let start = Date()
        let error = await #expect(throws: TeacherError.self) { try await client.chat(userChat("anyone?")) }
        guard case .transport = error else { Issue.record("expected .transport, got \(String(describing: error))"); return }
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func streamSplitAcrossReadsWithCRLFAssembles() async throws {
        let log = ServerLog()
        let server = try RawHTTPServer { request in
            log.hit(request.prompt)
            // Every event cut into 7-byte pieces, each written separately.
            let bytes = Array(sseEvents(model: "raw", text: fakeAnswer(request.prompt)).joined().utf8)
            let pieces = stride(from: 0, to: bytes.count, by: 7).map { Data(bytes[$0..<min($0 + 7, bytes.count)]) }
            return .send([Data("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".utf8)] + pieces, gap: 0.0005)
        }
        defer { server.stop() }
        let client = try OpenAIClient(endpoint: TeacherEndpoint(baseURL: "http://127.0.0.1:\(server.port)/v1"),
                                      timeout: 5)
        defer { Task { try? await client.shutdown() } }
        let prompt = "split across many reads"
        let answer = try await client.chatByStreaming(userChat(prompt))
        #expect(answer.choices.first?.message.content == fakeAnswer(prompt))
        #expect(answer.usage?.completionTokens == fakeAnswer(prompt).split(separator: " ").count)
    }

    @Test func streamFailingBeforeFirstChunkIsRetriedAndPlainJSONIsAccepted() async throws {
        try await withFaultServer(timeout: 1) { endpoint, log in
            let client = try OpenAIClient(endpoint: endpoint, timeout: 1)
            defer { Task { try? await client.shutdown() } }
            let throttled = try ThrottledClient(wrapping: client, policy: TrafficPolicy(maxAttempts: 3, baseDelay: 0.01))
            // dropOnce drops the first connection, then answers with plain JSON (a server ignoring `stream`).
            let answer = try await throttled.chatByStreaming(userChat("dropOnce s"))
            #expect(answer.choices.first?.message.content == fakeAnswer("dropOnce s"))
            #expect(answer.usage?.promptTokens == 3)
            #expect(log.count("dropOnce s") == 2)
            #expect(throttled.stats.retriesByReason == ["transport": 1])
            // Not JSON and not events: the stream is cut, retried, and given up on.
            let error = await #expect(throws: TeacherError.self) {
                try await throttled.chatByStreaming(userChat("malformed s"))
            }
            #expect(log.count("malformed s") == 3)
            #expect(error?.localizedDescription.contains("gave up after 3") == true)
        }
    }
}
