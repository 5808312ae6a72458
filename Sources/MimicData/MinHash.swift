// MinHash signatures over hashed shingles and the LSH banding parameters chosen from a Jaccard threshold
// (the same weighted false-positive / false-negative rule as datasketch's MinHashLSH).
import Foundation
import MimicCore
import MimicTeacher

/// How a text is cut into shingles before hashing. Texts are first put in `QueryNormalizer`'s normal form.
public enum Shingling: Sendable, Hashable, Codable {
    /// Overlapping runs of `n` Unicode scalars (the default, 5: robust for short queries and any script).
    case characters(Int)
    /// Overlapping runs of `n` space-separated words.
    case words(Int)

    /// "char5" / "word3".
    public var name: String {
        switch self {
        case .characters(let n): return "char\(n)"
        case .words(let n): return "word\(n)"
        }
    }

    /// Parses "char5", "word3" (and "chars:5", "words:3"); nil otherwise.
    public init?(name: String) {
        let lower = name.lowercased().replacingOccurrences(of: ":", with: "")
        let makers: [(String, (Int) -> Shingling)] = [("chars", { .characters($0) }), ("char", { .characters($0) }),
                                                      ("words", { .words($0) }), ("word", { .words($0) })]
        for (prefix, make) in makers {
            if lower.hasPrefix(prefix), let n = Int(lower.dropFirst(prefix.count)), n > 0 {
                self = make(n)
                return
            }
        }
        return nil
    }
}

/// Hashed shingle sets and their exact Jaccard similarity.
public enum Shingles {
    /// The sorted, distinct 64-bit hashes of the shingles of `text` (normalised first). A text shorter than one
    /// shingle is a single shingle of itself; an empty text has none. Hashes are FNV-1a then a SplitMix64
    /// finaliser: stable across runs and platforms (Swift's `Hasher` is seeded per process and is not used).
    public static func hashes(_ text: String, _ shingling: Shingling) -> [UInt64] {
        let normal = QueryNormalizer.normalize(text)
        var out: [UInt64] = []
        switch shingling {
        case .characters(let n):
            let scalars = normal.unicodeScalars.map(\.value)
            guard !scalars.isEmpty else { return [] }
            let width = min(n, scalars.count)
            out.reserveCapacity(scalars.count - width + 1)
            for start in 0...(scalars.count - width) {
                var h: UInt64 = 0xCBF2_9CE4_8422_2325
                for i in start..<(start + width) { h = (h ^ UInt64(scalars[i])) &* 0x0000_0100_0000_01B3 }
                out.append(SplitMix64.mix(h))
            }
        case .words(let n):
            let words = normal.split(separator: " ").map { word -> UInt64 in
                var h: UInt64 = 0xCBF2_9CE4_8422_2325
                for b in word.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
                return h
            }
            guard !words.isEmpty else { return [] }
            let width = min(n, words.count)
            for start in 0...(words.count - width) {
                var h: UInt64 = 0x84222325
                for i in start..<(start + width) { h = SplitMix64.mix(h ^ words[i]) }
                out.append(h)
            }
        }
        out.sort()
        var unique: [UInt64] = []
        unique.reserveCapacity(out.count)
        for h in out where unique.last != h { unique.append(h) }
        return unique
    }

    /// |A ∩ B| / |A ∪ B| of two sorted distinct hash lists; 0 when both are empty.
    public static func jaccard(_ a: [UInt64], _ b: [UInt64]) -> Double {
        guard !a.isEmpty || !b.isEmpty else { return 0 }
        var i = 0, j = 0, common = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] {
                common += 1; i += 1; j += 1
            } else if a[i] < b[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return Double(common) / Double(a.count + b.count - common)
    }
}

/// `k` seeded hash functions h_i(x) = high 32 bits of (a_i·x + b_i) mod 2^64 (a_i odd: multiply-shift
/// hashing), standing in for k random permutations. Same seed, same signatures.
public struct MinHasher: Sendable {
    /// Signature length (number of hash functions).
    public let permutations: Int
    let a: [UInt64]
    let b: [UInt64]

    /// `permutations` hash functions drawn from `SplitMix64(seed:)`.
    public init(permutations: Int = 128, seed: UInt64 = 1) {
        precondition(permutations > 0, "MinHasher needs at least one permutation")
        var rng = SplitMix64(seed: seed)
        a = (0..<permutations).map { _ in rng.next() | 1 }
        b = (0..<permutations).map { _ in rng.next() }
        self.permutations = permutations
    }

    /// The signature of a shingle set: for each hash function its minimum over the set (all `UInt32.max`
    /// for an empty set).
    public func signature(_ shingles: [UInt64]) -> [UInt32] {
        var sig = [UInt32](repeating: .max, count: permutations)
        sig.withUnsafeMutableBufferPointer { fill($0, shingles) }
        return sig
    }

    /// Writes the signature of `shingles` into `out` (length `permutations`).
    func fill(_ out: UnsafeMutableBufferPointer<UInt32>, _ shingles: [UInt64]) {
        let k = permutations
        for i in 0..<k { out[i] = .max }
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for x in shingles {
                    for i in 0..<k {
                        let v = UInt32(truncatingIfNeeded: (a[i] &* x &+ b[i]) >> 32)
                        out[i] = min(out[i], v)
                    }
                }
            }
        }
    }

    /// The fraction of equal positions of two signatures: an unbiased estimate of the Jaccard similarity.
    public static func estimatedJaccard(_ x: [UInt32], _ y: [UInt32]) -> Double {
        precondition(x.count == y.count && !x.isEmpty, "signatures must have the same, non-zero length")
        return Double(zip(x, y).filter { $0 == $1 }.count) / Double(x.count)
    }
}

/// LSH banding: `bands` bands of `rows` signature values; two documents are candidates when all rows of at
/// least one band agree, which happens with probability 1 − (1 − s^rows)^bands at Jaccard s.
public struct LSHParameters: Sendable, Hashable, Codable {
    /// Number of bands (b).
    public var bands: Int
    /// Rows per band (r).
    public var rows: Int

    /// Fixed parameters.
    public init(bands: Int, rows: Int) { (self.bands, self.rows) = (bands, rows) }

    /// The probability that two documents of Jaccard `s` become candidates.
    public func candidateProbability(_ s: Double) -> Double {
        1 - pow(1 - pow(s, Double(rows)), Double(bands))
    }

    /// The (b, r) with b·r ≤ `permutations` that minimises w·(false-positive area below `threshold`) +
    /// (1 − w)·(false-negative area above it), w = `falsePositiveWeight`, the areas under the candidate-probability
    /// curve integrated numerically (datasketch's `_optimal_param`; its default is w = 0.5).
    public static func optimal(threshold: Double, permutations: Int, falsePositiveWeight: Double = 0.5) -> LSHParameters {
        var best = LSHParameters(bands: 1, rows: permutations)
        var bestError = Double.infinity
        for b in 1...permutations {
            for r in 1...(permutations / b) {
                let p = LSHParameters(bands: b, rows: r)
                let fp = integrate(0, threshold) { p.candidateProbability($0) }
                let fn = integrate(threshold, 1) { 1 - p.candidateProbability($0) }
                let error = falsePositiveWeight * fp + (1 - falsePositiveWeight) * fn
                if error < bestError {
                    bestError = error
                    best = p
                }
            }
        }
        return best
    }

    /// The (b, r) with b·r ≤ `permutations` whose false-positive area below `threshold` is smallest among those
    /// that make a pair at exactly the threshold a candidate with probability at least `recall` (and so any pair
    /// above it with more); the one with the highest such probability if none reaches `recall`. Near-duplicate
    /// removal verifies every candidate exactly, so a false positive costs one comparison while a missed pair
    /// keeps a duplicate: this is the rule `NearDedupOptions` uses, with recall 0.99.
    public static func forRecall(threshold: Double, permutations: Int, recall: Double = 0.99) -> LSHParameters {
        var best: (LSHParameters, Double)?
        var fallback = (LSHParameters(bands: 1, rows: permutations), -1.0)
        for b in 1...permutations {
            for r in 1...(permutations / b) {
                let p = LSHParameters(bands: b, rows: r)
                let atThreshold = p.candidateProbability(threshold)
                if atThreshold > fallback.1 { fallback = (p, atThreshold) }
                guard atThreshold >= recall else { continue }
                let fp = integrate(0, threshold) { p.candidateProbability($0) }
                if let current = best, fp >= current.1 { continue }
                best = (p, fp)
            }
        }
        return best?.0 ?? fallback.0
    }

    static func integrate(_ lo: Double, _ hi: Double, steps: Int = 200, _ f: (Double) -> Double) -> Double {
        guard hi > lo else { return 0 }
        let h = (hi - lo) / Double(steps)
        var sum = 0.0
        for i in 0..<steps { sum += f(lo + (Double(i) + 0.5) * h) }
        return sum * h
    }
}
