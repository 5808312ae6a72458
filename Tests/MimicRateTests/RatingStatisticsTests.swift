// The rating statistics against scripts/reference/rating_agreement_golden.py (statsmodels' Fleiss' kappa, the
// krippendorff package's alpha, a Newton Bradley–Terry fit cross-checked with choix) on committed vote sets: complete
// studies, missing ratings, an all-"same" study, unanimous units, four and three systems. Tolerances as the script says:
// counts exactly, kappa and alpha within 1e-9, strengths within 1e-6.
import Foundation
import MimicCore
import Testing
@testable import MimicRate

func resourceURL(_ name: String, _ ext: String) -> URL {
    Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources")!
}

struct VoteSet: Decodable {
    var raters_per_item: Int
    var votes: [RatingVote]
}

@Suite struct RatingStatisticsTests {
    static let cases = ["basic", "missing", "all_same", "unanimous_mixed", "multi", "big"]

    static func voteSet(_ name: String) throws -> VoteSet {
        try JSONDecoder().decode(VoteSet.self, from: Data(contentsOf: resourceURL("votesets/" + name, "json")))
    }

    @Test(arguments: cases) func figuresEqualTheReferenceImplementations(_ name: String) throws {
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: resourceURL("votesets/golden", "json"))) as! [String: Any]
        let expected = golden[name] as! [String: Any]
        let set = try Self.voteSet(name)
        let fleiss = RatingStatistics.fleissKappa(set.votes, raters: set.raters_per_item)
        #expect(fleiss.units == expected["complete_units"] as? Int)
        let pairs: [(String, Double?)] = [("fleiss_kappa", fleiss.kappa), ("krippendorff_alpha", RatingStatistics.krippendorffAlpha(set.votes))]
        for (key, value) in pairs {
            let want = expected[key] as? Double
            #expect((value == nil) == (want == nil), "\(name) \(key): \(String(describing: value)) vs \(String(describing: want))")
            if let value, let want { #expect(abs(value - want) <= 1e-9, "\(name) \(key): \(value) vs \(want)") }
        }
        let systems = Set(set.votes.flatMap { [$0.a, $0.b] })
        let bt = systems.count > 2 ? RatingStatistics.bradleyTerry(set.votes) : nil
        let wantBT = expected["bradley_terry"] as? [String: Double]
        #expect((bt == nil) == (wantBT == nil), "\(name) bradley_terry")
        if let bt, let wantBT {
            #expect(Set(bt.keys) == Set(wantBT.keys))
            for (s, v) in wantBT { #expect(abs((bt[s] ?? .nan) - v) <= 1e-6, "\(name) \(s): \(bt[s] ?? .nan) vs \(v)") }
        }
    }

    @Test func majorityNeedsMoreThanHalf() {
        #expect(RatingStatistics.majority([.a, .a, .b]) == .a)
        #expect(RatingStatistics.majority([.a, .same, .b]) == .same)
        #expect(RatingStatistics.majority([.b, .b]) == .b)
        #expect(RatingStatistics.majority([.a, .b]) == .same)
        #expect(RatingStatistics.majority([.a, .a, .b, .b]) == .same)
        #expect(RatingStatistics.majority([]) == .same)
    }

    @Test func bradleyTerryHasNoMaximumWhenASystemNeverLoses() {
        let votes = [RatingVote(item: "1", a: "x", b: "y", rater: "r", choice: .a),
                     RatingVote(item: "2", a: "y", b: "z", rater: "r", choice: .a),
                     RatingVote(item: "3", a: "x", b: "z", rater: "r", choice: .a)]
        #expect(RatingStatistics.bradleyTerry(votes) == nil)
        // One tie with x gives the others a way back: now it exists, and x is strongest.
        let fit = RatingStatistics.bradleyTerry(votes + [RatingVote(item: "4", a: "x", b: "z", rater: "r", choice: .same)])
        #expect(fit != nil && fit!["x"]! > fit!["y"]! && fit!["y"]! > fit!["z"]!)
    }

    @Test func strengthIntervalsHoldTheEstimateAndDependOnTheSeed() throws {
        let set = try Self.voteSet("multi")
        let fit = try #require(RatingStatistics.bradleyTerry(set.votes))
        let a = RatingStatistics.bradleyTerryIntervals(set.votes, resamples: 200, seed: 3)
        #expect(a == RatingStatistics.bradleyTerryIntervals(set.votes, resamples: 200, seed: 3))
        #expect(a != RatingStatistics.bradleyTerryIntervals(set.votes, resamples: 200, seed: 4))
        for (s, v) in fit { #expect(a[s]!.lower <= v && v <= a[s]!.upper, "\(s)") }
    }
}
