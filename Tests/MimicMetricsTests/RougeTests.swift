// ROUGE-1/2/L and the Porter stemmer against rouge-score 0.1.2 (use_stemmer=True) and NLTK 3.10.4: the golden
// file of scripts/reference/rouge_golden.py.
import Foundation
import MimicMetrics
import Testing

struct RougeGoldenLine: Decodable {
    var kind: String
    var target: String?
    var prediction: String?
    var rouge1: [Double]?
    var rouge2: [Double]?
    var rougeL: [Double]?
    var word: String?
    var stem: String?
}

func loadRougeGolden() throws -> [RougeGoldenLine] {
    let url = resourceURL("rouge_golden", "jsonl")
    let text = try String(contentsOf: url, encoding: .utf8)
    return try text.split(separator: "\n").map { try JSONDecoder().decode(RougeGoldenLine.self, from: Data($0.utf8)) }
}

@Suite struct RougeTests {
    static let tolerance = 1e-9

    func close(_ score: RougeScore, _ expected: [Double]?) -> Bool {
        guard let e = expected, e.count == 3 else { return false }
        return abs(score.precision - e[0]) <= Self.tolerance && abs(score.recall - e[1]) <= Self.tolerance
            && abs(score.fmeasure - e[2]) <= Self.tolerance
    }

    @Test func everyGoldenPairMatchesRougeScore() throws {
        let pairs = try loadRougeGolden().filter { $0.kind == "pair" }
        #expect(pairs.count >= 600)
        var failures: [String] = []
        for line in pairs {
            let target = line.target ?? "", prediction = line.prediction ?? ""
            let s = Rouge.score(target: target, prediction: prediction)
            for (name, score, expected) in [("rouge1", s.rouge1, line.rouge1), ("rouge2", s.rouge2, line.rouge2),
                                            ("rougeL", s.rougeL, line.rougeL)] where !close(score, expected) {
                failures.append("\(name) \(target.debugDescription) / \(prediction.debugDescription): got \(score), "
                    + "expected \(expected ?? [])")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) mismatches, first: \(failures.prefix(3))")
        // the golden pairs exercise non-trivial scores, not just zeros and ones
        #expect(pairs.filter { ($0.rougeL?[2] ?? 0) > 0 && ($0.rougeL?[2] ?? 1) < 1 }.count > 300)
    }

    @Test func stemmerMatchesNLTK() throws {
        let stems = try loadRougeGolden().filter { $0.kind == "stem" }
        #expect(stems.count >= 200)
        let stemmer = PorterStemmer()
        var failures: [String] = []
        for line in stems {
            let word = line.word ?? "", got = stemmer.stem(word)
            if got != line.stem { failures.append("\(word): got \(got), NLTK \(line.stem ?? "nil")") }
        }
        #expect(failures.isEmpty, "\(failures.count) mismatches: \(failures.prefix(10))")
        #expect(stems.contains { $0.word != $0.stem })
    }

    @Test func stemmingChangesScoresOnlyWhenAsked() {
        let stemmed = Rouge.score(target: "The dogs were running", prediction: "a dog runs")
        let plain = Rouge.score(target: "The dogs were running", prediction: "a dog runs", stem: false)
        #expect(Rouge.tokens("The dogs were running!") == ["the", "dog", "were", "run"])
        #expect(Rouge.tokens("The dogs were running!", stem: false) == ["the", "dogs", "were", "running"])
        #expect(stemmed.rouge1.recall == 0.5)  // dog, run of 4 target tokens
        #expect(plain.rouge1.fmeasure == 0)
    }

    @Test func rougeLAgreesWithSelfInstructRougeLWithoutStemming() throws {
        let pairs = try loadRougeGolden().filter { $0.kind == "pair" }.prefix(200)
        for line in pairs {
            let t = line.target ?? "", p = line.prediction ?? ""
            #expect(Rouge.score(target: t, prediction: p, stem: false).rougeL.fmeasure == RougeL.f(t, p))
        }
    }
}
