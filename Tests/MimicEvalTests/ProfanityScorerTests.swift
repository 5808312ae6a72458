// ProfanityScorer against alt-profanity-check's own predict_proba (scripts/reference/profanity_golden.py), within
// 1e-9; the Python-compatible text rules it relies on; and its errors for bad model files.
import Foundation
@testable import MimicEval
import MimicMetrics
import MimicTestSupport
import Testing

/// One line of profanity_golden.jsonl.
struct ProfanityGolden: Decodable {
    var text: String
    var tokens: [String]
    var probability: Double
}

@Suite struct ProfanityScorerTests {
    static func golden() throws -> [ProfanityGolden] {
        let url = Bundle.module.url(forResource: "Resources", withExtension: nil)!
            .appendingPathComponent("profanity_golden.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(ProfanityGolden.self, from: Data($0.utf8)) }
    }

    /// The exported model (`bash scripts/fetch-assets.sh`): models/profanity-check.json in the cache.
    @Test("tokens and probabilities match predict_proba within 1e-9 (skipped without the model unless MIMIC_REQUIRE_ASSETS=1)",
          .requires(.profanityModel))
    func matchesScikitLearn() throws {
        let url = URL(fileURLWithPath: try FetchedAsset.profanityModel.require())
        let scorer = try ProfanityScorer(contentsOf: url)
        let cases = try Self.golden()
        #expect(cases.count >= 300)
        let batch = scorer.probabilities(cases.map(\.text))
        var worst = 0.0
        for (g, p) in zip(cases, batch) {
            #expect(scorer.terms(g.text).map(\.text).map { Array($0.unicodeScalars) } == g.tokens.map { Array($0.unicodeScalars) },
                    "tokens of \(g.text.debugDescription)")
            #expect(abs(p - g.probability) <= 1e-9, "\(g.text.debugDescription): \(p) vs \(g.probability)")
            #expect(scorer.probability(g.text) == p)
            worst = max(worst, abs(p - g.probability))
        }
        #expect(cases.contains { $0.probability < 0.1 } && cases.contains { $0.probability > 0.9 })
        print("ProfanityScorer: \(cases.count) texts, max |p - sklearn| = \(worst)")
    }

    @Test func pythonLowerAndWordCharacters() {
        func lower(_ s: String) -> [UInt32] { PythonText.lower(s).map(\.value) }
        #expect(lower("\u{39F}\u{394}\u{39F}\u{3A3}") == [0x3BF, 0x3B4, 0x3BF, 0x3C2])  // final sigma
        #expect(lower("\u{3A3}") == [0x3C3])
        #expect(lower("A\u{3A3}'\u{3A3}") == [0x61, 0x3C3, 0x27, 0x3C2])  // "'" is case-ignorable
        #expect(lower("\u{130}") == [0x69, 0x307])
        #expect(lower("\u{212A}\u{1E9E}") == [0x6B, 0xDF])
        #expect(PythonText.isWord("_") && PythonText.isWord("\u{B2}") && PythonText.isWord("\u{2160}"))
        #expect(!PythonText.isWord("\u{301}") && !PythonText.isWord("\u{200B}") && !PythonText.isWord("\u{AD}"))
        #expect(PythonText.isSpace("\u{1C}") && PythonText.isSpace("\u{A0}") && !PythonText.isSpace("\u{200B}"))
    }

    @Test func badModelFilesNameTheField() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("profanity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func model(idf: String = "[1.5, 2.0]", pattern: String = #"(?u)\\b\\w\\w+\\b"#, coef: String = "[0.5, -1.0]") -> String {
            #"{"format":"mimic-profanity-check/1","vectorizer":{"class":"TfidfVectorizer","lowercase":true,"#
                + #""token_pattern":"\#(pattern)","analyzer":"word","ngram_range":[1,1],"strip_accents":null,"#
                + #""stop_words":["the"],"binary":false,"norm":"l2","use_idf":true,"smooth_idf":true,"sublinear_tf":false,"#
                + #""vocabulary":["bad","good"],"idf":\#(idf)},"classifier":{"class":"CalibratedClassifierCV","#
                + #""method":"sigmoid","classes":[0,1],"positive_class":1,"calibrated_classifiers":[{"estimator":"LinearSVC","#
                + #""coef":\#(coef),"intercept":0.25,"sigmoid":{"a":-2.0,"b":1.0}}]}}"#
        }
        func load(_ json: String) throws -> ProfanityScorer {
            let url = dir.appendingPathComponent("m.json")
            try Data(json.utf8).write(to: url)
            return try ProfanityScorer(contentsOf: url)
        }
        let scorer = try load(model())
        // "bad bad the good": counts (2, 1), tf-idf (3, 2) / sqrt(13); f = (1.5 - 2) / sqrt(13) + 0.25
        let f = (3.0 * 0.5 + 2.0 * -1.0) / 13.0.squareRoot() + 0.25
        #expect(abs(scorer.probability("Bad BAD the good!") - 1 / (1 + Foundation.exp(-2 * f + 1))) < 1e-15)
        #expect(abs(scorer.probability("") - 1 / (1 + Foundation.exp(-2 * 0.25 + 1))) < 1e-15)

        func field(_ json: String) -> String? {
            do { _ = try load(json); return nil } catch let e as ProfanityModelError {
                #expect(e.errorDescription?.contains("m.json") == true)
                return e.field
            } catch { return "\(error)" }
        }
        #expect(field(model(idf: "[1.5]")) == "vectorizer.idf")
        #expect(field(model(idf: "[1.5, \"x\"]")) == "vectorizer.idf[1]")
        #expect(field(model(pattern: #"\\w+"#)) == "vectorizer.token_pattern")
        #expect(field(model(coef: "[0.5, -1.0, 2.0]")) == "classifier.calibrated_classifiers[0].coef")
        #expect(field(model().replacingOccurrences(of: #""intercept":0.25,"#, with: "")) == "classifier.calibrated_classifiers[0].intercept")
        #expect(field("{") == "(top level)")
        #expect(throws: ProfanityModelError.self) { try ProfanityScorer(contentsOf: dir.appendingPathComponent("absent.json")) }
    }
}
