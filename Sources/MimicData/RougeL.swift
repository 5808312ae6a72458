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
public struct RougeLIndex: Sendable {
    private var vocabulary: [String: Int] = [:]
    private var entries: [Entry] = []

    struct Entry: Sendable {
        let count: Int
        let matcher: BitLCS
    }

    /// An empty pool.
    public init() {}

    /// Texts in the pool.
    public var count: Int { entries.count }

    /// Adds `text` to the pool.
    public mutating func add(_ text: String) {
        let ids = RougeL.ids(RougeL.tokens(text), &vocabulary)
        entries.append(Entry(count: ids.count, matcher: BitLCS(ids)))
    }

    /// The highest ROUGE-L F of `text` against the pool, stopping early once one exceeds `threshold`;
    /// pool entries whose length alone bounds F at or below the best so far are not scored.
    public func maxScore(_ text: String, stopAbove threshold: Double = .infinity) -> Double {
        let tokens = RougeL.tokens(text)
        guard !tokens.isEmpty else { return 0 }
        let ids = tokens.map { vocabulary[$0] ?? -1 }  // unseen tokens match nothing
        let n = ids.count
        var best = 0.0
        for entry in entries where entry.count > 0 {
            let bound = 2 * Double(min(entry.count, n)) / Double(entry.count + n)
            guard bound > best else { continue }
            let score = RougeL.fMeasure(lcs: entry.matcher.lcs(with: ids), entry.count, n)
            if score > best {
                best = score
                if best > threshold { return best }
            }
        }
        return best
    }
}
