// The Perspective API client against a loopback fake: scores parsed, a 429's Retry-After honoured and a 503 retried,
// a refused text recorded as an error (never a score of 0), the key never in an error or the store, answers in the
// request store and the ledger under the run, a rerun over the same store sending only what failed, and a refused key
// stopping the scoring at once.
import Foundation
import Hummingbird
@testable import MimicEval
import MimicTeacher
import MimicTestSupport
import Testing

/// What the fake was sent: each text's attempts and when they came.
final class Hits: @unchecked Sendable {
    private let lock = NSLock()
    private var times: [String: [Date]] = [:]

    /// Records an attempt at `text`; returns which attempt it is (1-based).
    func hit(_ text: String) -> Int {
        lock.withLock {
            times[text, default: []].append(Date())
            return times[text]!.count
        }
    }

    func count(_ text: String) -> Int { lock.withLock { times[text]?.count ?? 0 } }
    func attempts(_ text: String) -> [Date] { lock.withLock { times[text] ?? [] } }
    var total: Int { lock.withLock { times.values.reduce(0) { $0 + $1.count } } }
}

@Suite struct PerspectiveScorerTests {
    struct Request: Decodable {
        struct Comment: Decodable { var text: String }
        var comment: Comment
    }

    static let key = "SECRET-KEY"

    /// A fake Perspective: 403 for any key but `key`; "busy" texts get a 429 (Retry-After: 1), then a 503, then a
    /// score; "klingon" texts a 400 that echoes the key; other texts score their length / 100.
    static func fake(_ hits: Hits) -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/v1alpha1/{action}") { request, context -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let text = try JSONDecoder().decode(Request.self, from: Data(body.readableBytesView)).comment.text
            let n = hits.hit(text)
            func reply(_ status: HTTPResponse.Status, _ json: String, retryAfter: String? = nil) -> Response {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let retryAfter { headers[.retryAfter] = retryAfter }
                return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
            }
            guard context.parameters.get("action") == "comments:analyze",
                  request.uri.queryParameters["key"].map(String.init) == key else {
                return reply(.forbidden, "{\"error\":{\"code\":403,\"message\":\"API key not valid\"}}")
            }
            if text.contains("busy") && n == 1 { return reply(.tooManyRequests, "{\"error\":{\"code\":429}}", retryAfter: "1") }
            if text.contains("busy") && n == 2 { return reply(.serviceUnavailable, "{\"error\":{\"code\":503}}") }
            if text.contains("klingon") {
                return reply(.badRequest, "{\"error\":{\"message\":\"Attribute TOXICITY does not support request languages: tlh (key \(key))\"}}")
            }
            let score = Double(text.count) / 100
            return reply(.ok, "{\"attributeScores\":{\"TOXICITY\":{\"summaryScore\":{\"value\":\(score),\"type\":\"PROBABILITY\"}}}}")
        }
        return router
    }

    /// A scorer of the fake on `port` with small back-off, recording into `store` under run `tox-run`.
    static func scorer(port: Int, store: RequestStore, key: String = key) throws -> PerspectiveScorer {
        try PerspectiveScorer(apiKey: key, baseURL: "http://127.0.0.1:\(port)/v1alpha1", store: store, run: "tox-run",
                              policy: PerspectiveScorer.policy(requestsPerSecond: 50, maxAttempts: 4, baseDelay: 0.01))
    }

    @Test func scoresRetriesCachesAndBills() async throws {
        let hits = Hits()
        let folder = try ScratchFolder("perspective")
        defer { withExtendedLifetime(folder) {} }
        let path = folder.path + "/requests.sqlite"
        try await withLoopbackServer(Self.fake(hits), label: "fake-perspective") { port in
            let store = try RequestStore(path: path)
            let scorer = try Self.scorer(port: port, store: store)
            let texts = ["hello there", "busy day", "tlh klingon text", "", "fine words"]
            let results = await scorer.toxicity(texts)
            #expect((try? results[0].get()) == 0.11)
            #expect((try? results[1].get()) == 0.08)                        // after a 429 and a 503
            #expect((try? results[4].get()) == 0.10)
            for i in [2, 3] {
                guard case .failure(let error) = results[i] else { Issue.record("text \(i) should fail"); continue }
                #expect(!error.localizedDescription.contains(Self.key))
            }
            #expect(results[2].failureDescription?.contains("HTTP 400") == true)

            // The busy text was sent three times; the 429's Retry-After held the second attempt back a second.
            #expect(hits.count("busy day") == 3)
            #expect(hits.total == 6)                                        // the empty text is not sent
            let busy = hits.attempts("busy day")
            if busy.count == 3 { #expect(busy[1].timeIntervalSince(busy[0]) >= 0.95) }
            #expect(scorer.traffic.stats.retriesByReason == ["http 429": 1, "http 5xx": 1])
            #expect(scorer.traffic.stats.backoffSeconds >= 1)

            // Answers are stored (free, no key), failures are not; the ledger counts the run's requests.
            let stored = try store.responses(run: "tox-run")
            #expect(stored.count == 3)
            #expect(stored.allSatisfy { $0.kind == .toxicity && $0.costUSD == 0 && $0.model == "perspective" })
            #expect(stored.allSatisfy { !$0.requestJSON.contains(Self.key) && $0.requestJSON.contains("TOXICITY") })
            let failures = try store.failures(run: "tox-run")
            #expect(failures.count == 1)
            #expect(failures.allSatisfy { $0.reason.contains("HTTP 400") && !$0.reason.contains(Self.key) })
            var query = LedgerQuery()
            query.cache = path
            query.by = .run
            let ledger = try LedgerReport.make(query)
            #expect(ledger.rows == [LedgerRow(group: "tox-run", requests: 3, promptTokens: 0, completionTokens: 0, costUSD: 0)])
            #expect(ledger.table().contains("tox-run"))

            // A second scorer over the same store sends only the text that failed; the scores are the same.
            let again = try await Self.scorer(port: port, store: RequestStore(path: path)).toxicity(texts)
            for i in [0, 1, 4] { #expect((try? again[i].get()) == (try? results[i].get())) }
            #expect(hits.count("hello there") == 1 && hits.count("busy day") == 3 && hits.count("fine words") == 1)
            #expect(hits.count("tlh klingon text") == 2)
            #expect(again[2].failureDescription?.contains("HTTP 400") == true)
            #expect(try store.totals(run: "tox-run").requests == 3)
            #expect(try store.failures(run: "tox-run").first?.attempts == 2)
        }
    }

    @Test func aRefusedKeyStopsAtOnce() async throws {
        let hits = Hits()
        try await withLoopbackServer(Self.fake(hits), label: "fake-perspective") { port in
            let store = try RequestStore.inMemory()
            let scorer = try Self.scorer(port: port, store: store, key: "WRONG-KEY")
            let results = await scorer.toxicity(["one text", "two texts", "three texts"])
            #expect(hits.total == 1)                                        // not retried, the others not sent
            for result in results {
                let text = result.failureDescription ?? "scored"
                #expect(text.contains("refused the key") && !text.contains("WRONG-KEY"))
            }
            #expect(try store.responses().isEmpty)
        }
    }
}

extension Result {
    /// The failure's description, nil for a success.
    var failureDescription: String? {
        if case .failure(let error) = self { return error.localizedDescription }
        return nil
    }
}
