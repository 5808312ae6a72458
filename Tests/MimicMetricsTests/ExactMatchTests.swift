// Exact match against transformers' squad_metrics (golden file from scripts/reference/squad_em_golden.py, exact),
// and accuracy by log-likelihood.
import Foundation
import MimicMetrics
import Testing

@Suite struct ExactMatchTests {
    struct Golden: Decodable {
        var prediction: String
        var answers: [String]
        var normalized_prediction: String
        var normalized_answers: [String]
        var exact: Int
    }

    @Test func exactMatchEqualsSquadScript() throws {
        let text = try String(contentsOf: resourceURL("squad_em_golden", "jsonl"), encoding: .utf8)
        let cases = try text.split(separator: "\n").map { try JSONDecoder().decode(Golden.self, from: Data($0.utf8)) }
        #expect(cases.count >= 300)
        for c in cases {
            #expect(Array(SQuAD.normalize(c.prediction).unicodeScalars) == Array(c.normalized_prediction.unicodeScalars),
                    "normalize(\(c.prediction.debugDescription))")
            #expect(c.answers.map { Array(SQuAD.normalize($0).unicodeScalars) } == c.normalized_answers.map { Array($0.unicodeScalars) })
            #expect(SQuAD.exactMatch(prediction: c.prediction, answers: c.answers) == Double(c.exact), "\(c.prediction.debugDescription) vs \(c.answers)")
        }
    }

    @Test func accuracyAndLengthNormalisedAccuracy() {
        #expect(ChoiceAccuracy.acc([-3, -1, -2], gold: 1) == 1)
        #expect(ChoiceAccuracy.acc([-3, -1, -2], gold: 2) == 0)
        #expect(ChoiceAccuracy.acc([-1, -1], gold: 0) == 1)                  // ties go to the first
        // A long choice with a lower total but a higher per-character log-likelihood wins under acc_norm.
        let lls = [-2.0, -6.0], choices = [" no", " absolutely yes"]
        #expect(ChoiceAccuracy.acc(lls, gold: 1) == 0)
        #expect(ChoiceAccuracy.accNorm(lls, choices: choices, gold: 1) == 1)
    }
}
