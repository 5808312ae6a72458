// The Perspective API client against a loopback fake: scores parsed, 429s retried, a refused text recorded as an
// error (never a score of 0), the key never in an error, and requests paced to the rate asked for.
import Foundation
import Hummingbird
@testable import MimicEval
import MimicTestSupport
import Testing

final class Hits: @unchecked Sendable {
    private let lock = NSLock()
    private var count: [String: Int] = [:]
    private(set) var times: [Double] = []
    func hit(_ text: String) -> Int {
        lock.withLock {
            times.append(Date().timeIntervalSince1970)
            count[text, default: 0] += 1
            return count[text]!
        }
    }
}

@Suite struct PerspectiveScorerTests {
    struct Request: Decodable {
        struct Comment: Decodable { var text: String }
        var comment: Comment
    }

    @Test func scoresRetriesAndRecordsErrors() async throws {
        let hits = Hits()
        let router = Router()
        router.post("/v1alpha1/{action}") { request, context -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let text = try JSONDecoder().decode(Request.self, from: Data(body.readableBytesView)).comment.text
            let n = hits.hit(text)
            func reply(_ status: HTTPResponse.Status, _ json: String) -> Response {
                Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
            }
            if text.contains("busy") && n < 3 { return reply(.tooManyRequests, "{\"error\":{\"code\":429}}") }
            if text.contains("klingon") { return reply(.badRequest, "{\"error\":{\"message\":\"Attribute TOXICITY does not support request languages: tlh (key SECRET-KEY)\"}}") }
            let score = Double(text.count) / 100
            return reply(.ok, "{\"attributeScores\":{\"TOXICITY\":{\"summaryScore\":{\"value\":\(score),\"type\":\"PROBABILITY\"}}}}")
        }
        try await withLoopbackServer(router, label: "fake-perspective") { p in
            let scorer = PerspectiveScorer(apiKey: "SECRET-KEY", baseURL: "http://127.0.0.1:\(p)/v1alpha1", requestsPerSecond: 20, maxAttempts: 4)
            let texts = ["hello there", "busy day", "tlh klingon text", "", "fine words"]
            let start = Date()
            let results = await scorer.toxicity(texts)
            let elapsed = Date().timeIntervalSince(start)
            #expect((try? results[0].get()) == 0.11)
            #expect((try? results[1].get()) == 0.08)                        // after two 429s
            #expect((try? results[4].get()) == 0.10)
            for i in [2, 3] {
                guard case .failure(let error) = results[i] else { Issue.record("text \(i) should fail"); continue }
                #expect(!error.localizedDescription.contains("SECRET-KEY"))
            }
            // 6 requests (the empty text is not sent) at 20/s, plus back-off of 1 s and 2 s for the busy text.
            #expect(hits.times.count == 6)
            #expect(elapsed >= 3)
        }
    }

    @Test func pacerSpacesCallers() async {
        let pacer = Pacer(interval: 0.1)
        let start = Date()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<5 { group.addTask { await pacer.wait() } }
        }
        #expect(Date().timeIntervalSince(start) >= 0.39)   // the fifth caller waits four intervals
    }
}
