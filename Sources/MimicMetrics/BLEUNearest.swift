// The exact "highest sentence BLEU against any segment of a pool" search: inverted n-gram index + BLEU's bounds.
import Foundation

/// The reference of the pool that gives a hypothesis its highest `sacrebleu.sentence_bleu(hypothesis, [reference])`.
public struct BLEUNeighbor: Sendable, Hashable, Codable {
    /// The index of that reference in the pool; the lowest index among equal scores; nil when the pool has no
    /// eligible reference (empty, or only the excluded one).
    public var index: Int?
    /// Its sentence BLEU, 0...100 (0 when `index` is nil).
    public var score: Double

    /// A neighbour from its parts.
    public init(index: Int?, score: Double) {
        self.index = index
        self.score = score
    }
}

/// An index over a pool of reference segments that answers, exactly and without comparing every pair,
/// "which reference gives this hypothesis the highest sentence BLEU?" (sacrebleu's `sentence_bleu` defaults:
/// 13a tokens, `exp` smoothing, effective order).
///
/// How: sentence BLEU of hypothesis h against reference r depends only on |h|, |r| and the clipped matches
/// c1...c4. A reference that shares no token with h scores exactly 0 (sacrebleu returns 0 when nothing matches),
/// so only references on h's unigram postings are looked at; c1...c4 are accumulated from the postings of h's
/// distinct 1- to 4-grams. The candidates are then visited by decreasing c1, whose bound
/// `U(c1) = BLEU(c1, min(c1, t2), min(c1, t3), min(c1, t4))` with no brevity penalty holds because
/// c_n ≤ c_{n-1} ≤ ... ≤ c1 and c_n ≤ t_n; the visit stops once `U(c1)` is below the best score found.
/// Scores are computed with the same floating-point operations as `BLEU.score`, so they equal brute force.
public final class BLEUNearestIndex: @unchecked Sendable {
    /// The number of reference segments.
    public let count: Int
    let lengths: [Int32]
    let vocabulary: [[UInt32]: Int32]
    let bigramIDs: [UInt64: Int32]
    let trigramIDs: [UInt64: Int32]
    let fourgramIDs: [UInt64: Int32]
    /// grams[n - 1]: every reference's n-gram ids, concatenated; reference d's start at offsets[n - 1][d].
    let grams: [[Int32]]
    let offsets: [[Int]]
    let postings: [NGramPostings]

    /// Indexes `references` (tokenised as `BLEU.tokens`).
    public convenience init(references: [String]) {
        self.init(tokenized: references.map(BLEU.tokens))
    }

    /// Indexes already tokenised references (`BLEU.tokens` output).
    public init(tokenized references: [[[UInt32]]]) {
        count = references.count
        var vocabulary: [[UInt32]: Int32] = [:]
        var unigrams: [Int32] = [], lengths: [Int32] = [], starts: [Int] = []
        for tokens in references {
            starts.append(unigrams.count)
            lengths.append(Int32(tokens.count))
            for token in tokens {
                if let id = vocabulary[token] {
                    unigrams.append(id)
                } else {
                    let id = Int32(vocabulary.count)
                    vocabulary[token] = id
                    unigrams.append(id)
                }
            }
        }
        starts.append(unigrams.count)
        self.vocabulary = vocabulary
        self.lengths = lengths
        var bigramIDs: [UInt64: Int32] = [:], trigramIDs: [UInt64: Int32] = [:], fourgramIDs: [UInt64: Int32] = [:]
        var grams = [unigrams, [], [], []]
        var offsets = [Array(starts.dropLast()), [], [], []]
        for d in 0..<references.count {
            let u = Array(unigrams[starts[d]..<starts[d + 1]])
            offsets[1].append(grams[1].count)
            offsets[2].append(grams[2].count)
            offsets[3].append(grams[3].count)
            let b = Self.intern(u.count >= 2 ? (0..<(u.count - 1)).map { Self.pair(u[$0], u[$0 + 1]) } : [], &bigramIDs)
            grams[1].append(contentsOf: b)
            if u.count >= 3 {
                grams[2].append(contentsOf: Self.intern((0..<(u.count - 2)).map { Self.pair(b[$0], u[$0 + 2]) }, &trigramIDs))
            }
            if u.count >= 4 {
                grams[3].append(contentsOf: Self.intern((0..<(u.count - 3)).map { Self.pair(b[$0], b[$0 + 2]) }, &fourgramIDs))
            }
        }
        self.bigramIDs = bigramIDs
        self.trigramIDs = trigramIDs
        self.fourgramIDs = fourgramIDs
        self.grams = grams
        self.offsets = offsets
        let sizes = [vocabulary.count, bigramIDs.count, trigramIDs.count, fourgramIDs.count]
        postings = (0..<4).map { order in
            NGramPostings(grams: grams[order], offsets: offsets[order], lengths: lengths, order: order + 1,
                          vocabularySize: sizes[order])
        }
    }

    @inline(__always) static func pair(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    static func intern(_ keys: [UInt64], _ ids: inout [UInt64: Int32]) -> [Int32] {
        keys.map { key in
            if let id = ids[key] { return id }
            let id = Int32(ids.count)
            ids[key] = id
            return id
        }
    }

    /// The n-gram ids of reference `d` (n = order), as stored.
    func referenceGrams(_ d: Int, order: Int) -> ArraySlice<Int32> {
        let length = max(0, Int(lengths[d]) - order + 1)
        let start = offsets[order - 1][d]
        return grams[order - 1][start..<(start + length)]
    }

    /// A hypothesis in this index's ids: its length and the ids of its 1- to 4-grams (-1 for an n-gram that
    /// occurs in no reference, which then matches nothing).
    struct Hypothesis {
        var length: Int
        var grams: [[Int32]]
    }

    func hypothesis(tokens: [[UInt32]]) -> Hypothesis {
        let u = tokens.map { vocabulary[$0] ?? -1 }
        func lookup(_ a: Int32, _ b: Int32, _ table: [UInt64: Int32]) -> Int32 {
            a < 0 || b < 0 ? -1 : table[Self.pair(a, b)] ?? -1
        }
        let b = u.count >= 2 ? (0..<(u.count - 1)).map { lookup(u[$0], u[$0 + 1], bigramIDs) } : []
        let t = u.count >= 3 ? (0..<(u.count - 2)).map { lookup(b[$0], u[$0 + 2], trigramIDs) } : []
        let f = u.count >= 4 ? (0..<(u.count - 3)).map { lookup(b[$0], b[$0 + 2], fourgramIDs) } : []
        return Hypothesis(length: u.count, grams: [u, b, t, f])
    }

    func hypothesis(reference d: Int) -> Hypothesis {
        Hypothesis(length: Int(lengths[d]), grams: (1...4).map { Array(referenceGrams(d, order: $0)) })
    }

    /// The best reference for `hypothesis`, skipping reference `excluding` (if any).
    public func nearest(to hypothesis: String, excluding: Int? = nil) -> BLEUNeighbor {
        var scratch = NearestScratch(count: count)
        return nearest(self.hypothesis(tokens: BLEU.tokens(hypothesis)), excluding: excluding, &scratch)
    }

    /// The best reference for reference `d` itself as the hypothesis, among all the others (self-BLEU).
    public func nearestOther(to d: Int) -> BLEUNeighbor {
        var scratch = NearestScratch(count: count)
        return nearest(hypothesis(reference: d), excluding: d, &scratch)
    }
}
