// BLEU against sacrebleu 2.4.3: the golden file of scripts/reference/bleu_golden.py (630 sentence pairs, 8 corpora).
import Foundation
import MimicMetrics
import Testing

struct BLEUGoldenCase: Decodable {
    var kind: String
    var hyp: String?
    var refs: [String]?
    var hyps: [String]?
    var corpusRefs: [[String]]?
    var hypTokens: String?
    var score: Double
    var counts: [Int]?
    var totals: [Int]?
    var precisions: [Double]?
    var bp: Double
    var sysLen: Int
    var refLen: Int
    var smooth: String?
    var smoothValue: Double?
    var effectiveOrder: Bool?

    enum CodingKeys: String, CodingKey {
        case kind, hyp, refs, hyps, score, counts, totals, precisions, bp, smooth
        case hypTokens = "hyp_tokens", sysLen = "sys_len", refLen = "ref_len", smoothValue = "smooth_value"
        case effectiveOrder = "effective_order"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(String.self, forKey: .kind)
        hyp = try c.decodeIfPresent(String.self, forKey: .hyp)
        hyps = try c.decodeIfPresent([String].self, forKey: .hyps)
        if kind == "corpus" {
            corpusRefs = try c.decode([[String]].self, forKey: .refs)
        } else {
            refs = try c.decode([String].self, forKey: .refs)
        }
        hypTokens = try c.decodeIfPresent(String.self, forKey: .hypTokens)
        score = try c.decode(Double.self, forKey: .score)
        counts = try c.decodeIfPresent([Int].self, forKey: .counts)
        totals = try c.decodeIfPresent([Int].self, forKey: .totals)
        precisions = try c.decodeIfPresent([Double].self, forKey: .precisions)
        bp = try c.decode(Double.self, forKey: .bp)
        sysLen = try c.decode(Int.self, forKey: .sysLen)
        refLen = try c.decode(Int.self, forKey: .refLen)
        smooth = try c.decodeIfPresent(String.self, forKey: .smooth)
        smoothValue = try c.decodeIfPresent(Double.self, forKey: .smoothValue)
        effectiveOrder = try c.decodeIfPresent(Bool.self, forKey: .effectiveOrder)
    }
}

func loadBLEUGolden() throws -> [BLEUGoldenCase] {
    let url = resourceURL("bleu_golden", "jsonl")
    let text = try String(contentsOf: url, encoding: .utf8)
    return try text.split(separator: "\n").map { try JSONDecoder().decode(BLEUGoldenCase.self, from: Data($0.utf8)) }
}

@Suite struct BLEUTests {
    @Test func sentenceBLEUEqualsSacrebleuOnEveryGoldenPair() throws {
        let cases = try loadBLEUGolden().filter { $0.kind == "sentence" }
        #expect(cases.count >= 600)
        var checked = 0
        for g in cases {
            let hyp = try #require(g.hyp), refs = try #require(g.refs)
            let s = BLEU.sentence(hyp, refs)
            #expect(abs(s.score - g.score) <= 1e-9, "score \(s.score) != \(g.score) for \(hyp.debugDescription) vs \(refs)")
            #expect(s.statistics.correct == g.counts, "counts for \(hyp.debugDescription)")
            #expect(s.statistics.total == g.totals, "totals for \(hyp.debugDescription)")
            #expect(s.statistics.hypothesisLength == g.sysLen && s.statistics.referenceLength == g.refLen)
            #expect(abs(s.brevityPenalty - g.bp) <= 1e-12)
            for (a, b) in zip(s.precisions, g.precisions ?? []) { #expect(abs(a - b) <= 1e-9) }
            let tokens = Tokenizer13a.tokenize(Tokenizer13a.rstrip(hyp)).joined(separator: " ")
            #expect(Array(tokens.unicodeScalars) == Array((g.hypTokens ?? "").unicodeScalars),
                    "13a tokens of \(hyp.debugDescription)")
            checked += 1
        }
        #expect(checked == cases.count)
    }

    @Test func corpusBLEUEqualsSacrebleuForEachSmoothing() throws {
        let cases = try loadBLEUGolden().filter { $0.kind == "corpus" }
        #expect(cases.count >= 6)
        for g in cases {
            let smoothing: BLEUSmoothing
            switch g.smooth {
            case "floor": smoothing = .floor(g.smoothValue ?? 0.1)
            case "add-k": smoothing = .addK(g.smoothValue ?? 1)
            case "none": smoothing = .none
            default: smoothing = .exp
            }
            let s = BLEU.corpus(try #require(g.hyps), try #require(g.corpusRefs), smoothing: smoothing,
                                effectiveOrder: g.effectiveOrder ?? false)
            #expect(abs(s.score - g.score) <= 1e-9, "corpus \(String(describing: g.smooth)): \(s.score) != \(g.score)")
            #expect(s.statistics.hypothesisLength == g.sysLen && s.statistics.referenceLength == g.refLen)
            #expect(abs(s.brevityPenalty - g.bp) <= 1e-12)
        }
    }

    @Test func canonicallyEquivalentSpellingsAreDifferentTokens() {
        // sacrebleu compares code points: precomposed é and e + U+0301 do not match.
        #expect(BLEU.sentence("café", ["cafe\u{301}"]).score == 0)
        #expect(abs(BLEU.sentence("café au lait", ["café au lait"]).score - 100) < 1e-9)
    }
}
