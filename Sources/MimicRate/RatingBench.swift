// `mimic rate bench`: simulated raters on loopback, each voting and fetching its next item as a browser does (POST the
// vote, read the 303, GET the next page), against a fresh study in SQLite or PostgreSQL. Reports votes per second and
// the latency of "vote and fetch the next item" (median, 99th percentile). The raters run in the same process as the
// server, so on a small machine they share its cores.
import AsyncHTTPClient
import Foundation
import MimicCore
import MimicMetrics
import NIOCore
import NIOHTTP1

/// What `mimic rate bench` is configured by.
public struct RatingBenchConfig: StageConfig, Hashable {
    public var raters = 200
    public var items = 2000
    public var ratersPerItem = 3
    /// A PostgreSQL URL (default: SQLite in a temporary folder).
    public var postgres: String?
    /// Each rater's mean pause before a vote, in milliseconds (drawn from an exponential distribution; 0: none, so the
    /// raters keep the server saturated and the latency is queueing, by Little's law raters / throughput).
    public var thinkMs: Double = 0
    public var seed: UInt64 = 1

    public init() {}

    public func validate() throws {
        try ConfigError.require(raters, in: 1...10_000, "raters")
        try ConfigError.require(items, in: 1...10_000_000, "items")
        try ConfigError.require(ratersPerItem, in: 1...100, "raters_per_item")
        try ConfigError.require(thinkMs >= 0 && thinkMs.isFinite, "think_ms", "must be 0 or more milliseconds")
    }
}

/// What one run measured.
public struct RatingBenchResult: Codable, Sendable {
    public var store: String
    public var raters: Int
    public var thinkMilliseconds: Double
    public var votes: Int
    public var seconds: Double
    public var votesPerSecond: Double
    public var medianMilliseconds: Double
    public var p99Milliseconds: Double

    enum CodingKeys: String, CodingKey {
        case store, raters, votes, seconds
        case thinkMilliseconds = "think_ms"
        case votesPerSecond = "votes_per_second", medianMilliseconds = "median_ms", p99Milliseconds = "p99_ms"
    }
}

public enum RatingBench {
    /// Runs the benchmark once.
    public static func run(_ config: RatingBenchConfig) async throws -> RatingBenchResult {
        try config.validate()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mimic-rate-bench-\(RatingToken.make().prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store: RatingStore
        var location: PostgresLocation?
        if let url = config.postgres {
            location = try PostgresLocation(url: url, schema: "mimic_rate_bench_" + RatingToken.make().prefix(8))
            store = PostgresRatingStore(location!, connections: 16)
        } else {
            store = try SQLiteRatingStore(path: dir + "/ratings.sqlite")
        }
        let items = (1...config.items).map { k in
            RatingItem(number: k, id: "q\(k)", prompt: "Question \(k): explain something in a few sentences.",
                       answerA: String(repeating: "An answer of some length. ", count: 20),
                       answerB: String(repeating: "Another answer, a bit longer. ", count: 25), systemA: "a", systemB: "b")
        }
        let settings = RatingSettings(seed: 1, ratersPerItem: config.ratersPerItem, instructions: "Rate.", timeoutSeconds: 600,
                                      fastSeconds: 0, itemsPerRater: nil, attentionEvery: 0, completionCode: "BENCH", prolific: false,
                                      adminTokenHash: RatingToken.hash(RatingToken.make()), secret: RatingToken.make())
        try await store.create(settings: settings, items: items)
        let tokens = try await RatingStudy.invite(store, count: config.raters)
        let server = try await RatingServer.start(store: store)
        var clientConfig = HTTPClient.Configuration()
        clientConfig.redirectConfiguration = .disallow
        clientConfig.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = config.raters
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfig)
        let base = server.baseURL
        func get(_ path: String) async throws -> String {
            let response = try await client.execute(HTTPClientRequest(url: base + path), timeout: .seconds(60))
            return String(buffer: try await response.body.collect(upTo: 1 << 22))
        }
        func post(_ path: String, _ body: String) async throws -> Int {
            var request = HTTPClientRequest(url: base + path)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await client.execute(request, timeout: .seconds(60))
            _ = try await response.body.collect(upTo: 1 << 20)
            return Int(response.status.code)
        }
        func field(_ page: String, _ name: String) -> String? {
            guard let r = page.range(of: "name=\"\(name)\" value=\"") else { return nil }
            return String(page[r.upperBound...].prefix { $0 != "\"" })
        }
        do {
            // Each rater reads the instructions and gets a first item before the clock starts, all at once as raters
            // arriving together would, so that the connections a loaded server keeps open (loopback HTTP, the
            // PostgreSQL pool) are open when the clock starts: the run measures the server in its steady state.
            let pages = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for (k, token) in tokens.enumerated() {
                    group.addTask {
                        let intro = try await get("/r/\(token)")
                        _ = try await post("/r/\(token)/start", "csrf=\(field(intro, "csrf") ?? "")")
                        return (k, try await get("/r/\(token)"))
                    }
                }
                return try await group.reduce(into: [String](repeating: "", count: tokens.count)) { $0[$1.0] = $1.1 }
            }
            let start = DispatchTime.now().uptimeNanoseconds
            let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
                for (k, (token, first)) in zip(tokens, pages).enumerated() {
                    group.addTask {
                        var page = first, times: [Double] = []
                        var rng = SplitMix64(seed: config.seed, stream: UInt64(k))
                        while let assignment = field(page, "assignment"), let csrf = field(page, "csrf") {
                            if config.thinkMs > 0 {
                                let pause = -log(1 - rng.nextUnit()) * config.thinkMs
                                try await Task.sleep(nanoseconds: UInt64(pause * 1e6))
                            }
                            let t0 = DispatchTime.now().uptimeNanoseconds
                            let status = try await post("/r/\(token)/vote", "csrf=\(csrf)&assignment=\(assignment)&choice=\(times.count % 3 + 1)")
                            guard status == 303 else { throw RatingStoreError("a vote was answered \(status)") }
                            page = try await get("/r/\(token)")
                            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                        }
                        return times
                    }
                }
                return try await group.reduce(into: [Double]()) { $0 += $1 }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            try await client.shutdown()
            // The run counts only if the rules held under load: every item rated exactly N times, by N different raters.
            let snapshot = try await store.snapshot()
            let byItem = Dictionary(grouping: snapshot.votes, by: \.item)
            let wrong = byItem.filter { $0.value.count != config.ratersPerItem || Set($0.value.map(\.rater)).count != $0.value.count }
            if let postgres = store as? PostgresRatingStore { try? await postgres.drop() }
            await server.stop()
            guard byItem.count == config.items, wrong.isEmpty, latencies.count == config.items * config.ratersPerItem else {
                throw RatingStoreError("the rules did not hold under load: \(byItem.count) of \(config.items) items rated, "
                                       + "\(wrong.count) with the wrong ratings, \(latencies.count) votes acknowledged")
            }
            let sorted = latencies.sorted()
            return RatingBenchResult(store: location.map { "postgres \($0.host):\($0.port)" } ?? "sqlite", raters: config.raters,
                                     thinkMilliseconds: config.thinkMs, votes: latencies.count, seconds: seconds, votesPerSecond: Double(latencies.count) / seconds,
                                     medianMilliseconds: Bootstrap.percentile(sorted, 0.5), p99Milliseconds: Bootstrap.percentile(sorted, 0.99))
        } catch {
            try? await client.shutdown()
            await server.stop()
            throw error
        }
    }
}
