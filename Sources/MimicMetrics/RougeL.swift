// ROUGE-L as rouge-score computes it by default (lower-case, non-[a-z0-9] to spaces, no stemming; F of the
// longest common subsequence), with a bit-parallel LCS and an index for "is this close to anything in the pool?".

/// ROUGE-L F-measure on rouge-score's default tokenisation.
public enum RougeL {
    /// rouge-score's default tokens: lower-cased, every character outside `[a-z0-9]` a separator.
    public static func tokens(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        for scalar in text.lowercased().unicodeScalars {
            if (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                out.append(current)
                current = ""
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// The F-measure of `prediction` against `target`: precision = LCS / |prediction|, recall = LCS / |target|,
    /// F = 2PR / (P + R); 0 if either has no tokens. Symmetric in its two arguments.
    public static func f(_ target: String, _ prediction: String) -> Double {
        var vocabulary: [String: Int] = [:]
        let a = ids(tokens(target), &vocabulary), b = ids(tokens(prediction), &vocabulary)
        return fMeasure(lcs: lcs(a, b), a.count, b.count)
    }

    static func fMeasure(lcs: Int, _ m: Int, _ n: Int) -> Double {
        guard m > 0, n > 0, lcs > 0 else { return 0 }
        let p = Double(lcs) / Double(n), r = Double(lcs) / Double(m)
        return 2 * p * r / (p + r)
    }

    static func ids(_ tokens: [String], _ vocabulary: inout [String: Int]) -> [Int] {
        tokens.map { token in
            if let id = vocabulary[token] { return id }
            vocabulary[token] = vocabulary.count
            return vocabulary.count - 1
        }
    }

    /// The LCS length by the plain dynamic programme (O(mn)): the reference the fast version is tested against.
    public static func lcsPlain(_ a: [Int], _ b: [Int]) -> Int {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var previous = [Int](repeating: 0, count: b.count + 1)
        var row = previous
        for x in a {
            for (j, y) in b.enumerated() {
                row[j + 1] = x == y ? previous[j] + 1 : max(previous[j + 1], row[j])
            }
            swap(&previous, &row)
        }
        return previous[b.count]
    }

    /// The LCS length, bit-parallel (Crochemore et al. 2001): O(|b| · ⌈|a|/64⌉) word operations.
    public static func lcs(_ a: [Int], _ b: [Int]) -> Int {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        return BitLCS(a).lcs(with: b)
    }
}

/// The match masks of one sequence `a`: for each symbol, the bit set of positions where `a` holds it.
struct BitLCS {
    let length: Int
    let words: Int
    let masks: [Int: [UInt64]]

    init(_ a: [Int]) {
        length = a.count
        words = (a.count + 63) / 64
        var masks: [Int: [UInt64]] = [:]
        for (i, symbol) in a.enumerated() {
            masks[symbol, default: [UInt64](repeating: 0, count: (a.count + 63) / 64)][i / 64] |= 1 << UInt64(i % 64)
        }
        self.masks = masks
    }

    /// LCS(a, b): V starts all ones; for each symbol of b, V = (V + (V & M)) | (V & ~M); the zeros of V count the LCS.
    func lcs(with b: [Int]) -> Int {
        var v = [UInt64](repeating: ~0, count: words)
        for symbol in b {
            guard let m = masks[symbol] else { continue }  // V & M = 0: V is unchanged
            var carry: UInt64 = 0
            for w in 0..<words {
                let u = v[w] & m[w]
                let (sum1, o1) = v[w].addingReportingOverflow(u)
                let (sum2, o2) = sum1.addingReportingOverflow(carry)
                carry = (o1 || o2) ? 1 : 0
                v[w] = sum2 | (v[w] & ~m[w])
            }
        }
        var zeros = 0
        for w in 0..<words {
            let bits = min(64, length - 64 * w)
            let valid: UInt64 = bits == 64 ? ~0 : (1 << UInt64(bits)) - 1
            zeros += (~v[w] & valid).nonzeroBitCount
        }
        return zeros
    }
}

/// A pool of texts (tokenised once) answering "does this text score ROUGE-L above a threshold against any of them?".
/// An inverted index gives, for each pool text sharing a token with the query, the size of the multiset
/// intersection, an upper bound on the LCS; texts are scored best bound first and the scan stops once no bound
/// can beat the best score so far, so most of a large pool is never scored.
public struct RougeLIndex: Sendable {
    private var vocabulary: [String: Int] = [:]
    private var entries: [Entry] = []
    /// For each token id, the pool texts holding it and how often.
    private var postings: [Int: [Posting]] = [:]

    struct Entry: Sendable {
        let count: Int
        let matcher: BitLCS
    }

    struct Posting: Sendable {
        let entry: Int32
        let count: Int32
    }

    /// An empty pool.
    public init() {}

    /// Texts in the pool.
    public var count: Int { entries.count }

    /// Adds `text` to the pool.
    public mutating func add(_ text: String) {
        let ids = RougeL.ids(RougeL.tokens(text), &vocabulary)
        let entry = Int32(entries.count)
        for (id, count) in Self.counts(ids) { postings[id, default: []].append(Posting(entry: entry, count: Int32(count))) }
        entries.append(Entry(count: ids.count, matcher: BitLCS(ids)))
    }

    /// The highest ROUGE-L F of `text` against the pool, stopping early once one exceeds `threshold`.
    public func maxScore(_ text: String, stopAbove threshold: Double = .infinity) -> Double {
        let tokens = RougeL.tokens(text)
        guard !tokens.isEmpty else { return 0 }
        let ids = tokens.map { vocabulary[$0] ?? -1 }  // unseen tokens match nothing
        let n = ids.count
        var shared = [Int32](repeating: 0, count: entries.count)
        var touched: [Int] = []
        for (id, count) in Self.counts(ids) where id >= 0 {
            for posting in postings[id] ?? [] {
                let e = Int(posting.entry)
                if shared[e] == 0 { touched.append(e) }
                shared[e] += min(Int32(count), posting.count)
            }
        }
        func bound(_ e: Int) -> Double { 2 * Double(shared[e]) / Double(entries[e].count + n) }
        touched.sort { bound($0) > bound($1) }
        var best = 0.0
        for e in touched {
            guard bound(e) > best else { break }
            let score = RougeL.fMeasure(lcs: entries[e].matcher.lcs(with: ids), entries[e].count, n)
            if score > best {
                best = score
                if best > threshold { return best }
            }
        }
        return best
    }

    static func counts(_ ids: [Int]) -> [Int: Int] {
        var counts: [Int: Int] = [:]
        for id in ids { counts[id, default: 0] += 1 }
        return counts
    }
}
