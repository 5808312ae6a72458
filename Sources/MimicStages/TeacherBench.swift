// `mimic teacher-bench` as a library call: requests per second of the teacher client alone, with its cache sending, and
// with its cache answering, against a trivial server on 127.0.0.1 (Mimic's echo server in-process, or any base URL).
import Foundation
import MimicCore
import MimicServer
import MimicTeacher

/// What `mimic teacher-bench` is configured by.
public struct TeacherBenchConfig: StageConfig, Hashable {
    /// An OpenAI-compatible server to measure against (nil: Mimic's echo server, started in-process).
    public var baseURL: String?
    /// Requests per phase.
    public var requests = 20_000
    /// Requests in flight.
    public var inFlight = 64
    /// The request cache to create (nil: a temporary file, deleted after).
    public var cache: String?

    public init() {}

    public func validate() throws {
        try ConfigError.require(requests, in: 1...10_000_000, "requests")
        try ConfigError.require(inFlight, in: 1...4096, "in_flight")
    }
}

/// One phase of the teacher bench.
public struct TeacherBenchPhase: Codable, Sendable {
    public var name: String
    public var requests: Int
    public var seconds: Double
    public var requestsPerSecond: Double
}

extension SpeedBenches {
    /// The three phases, each `requests` requests with `inFlight` at once; every request must end as its phase expects
    /// (sent, or answered from the cache).
    public static func teacher(_ c: TeacherBenchConfig) async throws -> [TeacherBenchPhase] {
        try c.validate()
        let echo = c.baseURL == nil ? try await EchoServer.start() : nil
        let endpoint = TeacherEndpoint(baseURL: c.baseURL ?? echo!.baseURL)
        let path = c.cache ?? FileManager.default.temporaryDirectory.appendingPathComponent("mimic-bench-\(UUID().uuidString).sqlite").path
        let client = try OpenAIClient(endpoint: endpoint, timeout: 60, maxConnections: c.inFlight)
        var phases: [TeacherBenchPhase] = []
        do {
            let throttled = try ThrottledClient(wrapping: client, policy: TrafficPolicy(maxConcurrent: c.inFlight))
            let store = try RequestStore(path: path)
            let teacher = try CachedTeacher(client: throttled, endpoint: endpoint.baseURL, model: "echo", store: store,
                                            run: "bench")
            let n = c.requests, width = c.inFlight
            phases.append(try await measure("client only (no cache)", n, width) { i in
                _ = try await throttled.chat(request(i, salt: "plain"))
                return true
            })
            phases.append(try await measure("client + cache, all sent", n, width) { i in
                if case .answered(_, _, let cached) = try await teacher.chat(request(i, salt: "cached"), sampleIndex: 0) { return !cached }
                return false
            })
            phases.append(try await measure("client + cache, all cached", n, width) { i in
                if case .answered(_, _, let cached) = try await teacher.chat(request(i, salt: "cached"), sampleIndex: 0) { return cached }
                return false
            })
        } catch {
            try? await client.shutdown()
            await echo?.stop()
            throw error
        }
        try? await client.shutdown()
        await echo?.stop()
        if c.cache == nil {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        return phases
    }

    static func request(_ i: Int, salt: String) -> ChatCompletionRequest {
        ChatCompletionRequest(model: "echo", messages: [APIMessage(role: "user", content: "\(salt) request number \(i): say something")],
                              temperature: 1, maxTokens: 16)
    }

    /// Runs `body(0..<n)` with `width` in flight; every call must return true (as expected) or the phase fails.
    private static func measure(_ name: String, _ n: Int, _ width: Int,
                         _ body: @escaping @Sendable (Int) async throws -> Bool) async throws -> TeacherBenchPhase {
        let start = Date()
        let good = try await withThrowingTaskGroup(of: Bool.self) { group -> Int in
            var next = 0, ok = 0
            while next < min(width, n) { let i = next; group.addTask { try await body(i) }; next += 1 }
            while let result = try await group.next() {
                if result { ok += 1 }
                if next < n { let i = next; group.addTask { try await body(i) }; next += 1 }
            }
            return ok
        }
        let seconds = Date().timeIntervalSince(start)
        guard good == n else { throw ConfigError(field: "base_url", problem: "\(name): \(n - good) of \(n) requests did not end as expected", hint: "is the server answering every request?") }
        return TeacherBenchPhase(name: name, requests: n, seconds: seconds, requestsPerSecond: Double(n) / seconds)
    }
}
