// `mimic teacher-bench`: requests per second of the teacher client with its cache and ledger, against a trivial
// server on 127.0.0.1 (Mimic's echo server in-process, or any --base-url).
import ArgumentParser
import Foundation
import MimicServer
import MimicTeacher

struct TeacherBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teacher-bench",
        abstract: "Requests/s of the teacher client with its cache against a trivial local server.")

    @Option(help: "An OpenAI-compatible server to measure against (default: Mimic's echo server, started in-process).")
    var baseURL: String?
    @Option(help: "Requests per phase.") var requests = 20_000
    @Option(help: "Requests in flight.") var inFlight = 64
    @Option(help: "The request cache to create (default: a temporary file, deleted after).") var cache: String?
    @Flag(help: "Print JSON.") var json = false

    struct Phase: Codable {
        var name: String
        var requests: Int
        var seconds: Double
        var requestsPerSecond: Double
    }

    func run() async throws {
        guard requests >= 1, inFlight >= 1 else { throw ValidationError("--requests and --in-flight must be at least 1") }
        let echo = baseURL == nil ? try await EchoServer.start() : nil
        let endpoint = TeacherEndpoint(baseURL: baseURL ?? echo!.baseURL)
        let path = cache ?? FileManager.default.temporaryDirectory.appendingPathComponent("mimic-bench-\(UUID().uuidString).sqlite").path
        let client = try OpenAIClient(endpoint: endpoint, timeout: 60, maxConnections: inFlight)
        var phases: [Phase] = []
        do {
            let throttled = try ThrottledClient(wrapping: client, policy: TrafficPolicy(maxConcurrent: inFlight))
            let store = try RequestStore(path: path)
            let teacher = try CachedTeacher(client: throttled, endpoint: endpoint.baseURL, model: "echo", store: store,
                                            run: "bench")
            let n = requests, width = inFlight
            phases.append(try await measure("client only (no cache)", n, width) { i in
                _ = try await throttled.chat(Self.request(i, salt: "plain"))
                return true
            })
            phases.append(try await measure("client + cache, all sent", n, width) { i in
                if case .answered(_, _, let cached) = try await teacher.chat(Self.request(i, salt: "cached"), sampleIndex: 0) { return !cached }
                return false
            })
            phases.append(try await measure("client + cache, all cached", n, width) { i in
                if case .answered(_, _, let cached) = try await teacher.chat(Self.request(i, salt: "cached"), sampleIndex: 0) { return cached }
                return false
            })
        } catch {
            try? await client.shutdown()
            await echo?.stop()
            throw error
        }
        try? await client.shutdown()
        await echo?.stop()
        if cache == nil {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(phases), as: UTF8.self))
        } else {
            print("| phase | requests | in flight | seconds | requests/s |")
            print("| --- | ---: | ---: | ---: | ---: |")
            for p in phases {
                print(String(format: "| %@ | %d | %d | %.2f | %.0f |", p.name, p.requests, inFlight, p.seconds, p.requestsPerSecond))
            }
        }
    }

    static func request(_ i: Int, salt: String) -> ChatCompletionRequest {
        ChatCompletionRequest(model: "echo", messages: [APIMessage(role: "user", content: "\(salt) request number \(i): say something")],
                              temperature: 1, maxTokens: 16)
    }

    /// Runs `body(0..<n)` with `width` in flight; every call must return true (as expected) or the phase fails.
    private func measure(_ name: String, _ n: Int, _ width: Int,
                         _ body: @escaping @Sendable (Int) async throws -> Bool) async throws -> Phase {
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
        guard good == n else { throw ValidationError("\(name): \(n - good) of \(n) requests did not end as expected") }
        return Phase(name: name, requests: n, seconds: seconds, requestsPerSecond: Double(n) / seconds)
    }
}
