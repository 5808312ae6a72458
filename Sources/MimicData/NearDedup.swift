// Near-duplicate removal: MinHash signatures (both cores), LSH banding, candidate pairs verified by the exact
// Jaccard of their shingle sets, union-find clusters, and the first record of each cluster kept.
import Foundation
import MimicCore
import MimicTeacher

/// Settings of near-duplicate removal.
public struct NearDedupOptions: Sendable, Hashable {
    /// Which text of a conversation is compared.
    public enum Scope: String, ConfigChoice {
        /// The first user message (the paper de-duplicates at the query level).
        case query
        /// Every message's content, joined by newlines.
        case conversation
    }

    /// Pairs with exact shingle Jaccard at or above this are duplicates.
    public var threshold: Double = 0.8
    /// MinHash signature length.
    public var permutations: Int = 128
    /// How texts are shingled.
    public var shingling: Shingling = .characters(5)
    /// Seed of the hash functions.
    public var seed: UInt64 = 1
    /// Which text is compared.
    public var scope: Scope = .query
    /// Fixed bands and rows; nil chooses them from `threshold` (`LSHParameters.forRecall` with
    /// `recallAtThreshold`).
    public var lsh: LSHParameters?
    /// The probability that a pair at exactly the threshold becomes a candidate, when choosing the banding.
    public var recallAtThreshold = 0.99
    /// Threads for the signatures; nil uses every core.
    public var threads: Int?

    /// Default settings: threshold 0.8, 128 permutations, 5-character shingles of the query.
    public init(threshold: Double = 0.8, permutations: Int = 128, shingling: Shingling = .characters(5),
                seed: UInt64 = 1, scope: Scope = .query, lsh: LSHParameters? = nil, threads: Int? = nil) {
        self.threshold = threshold
        self.permutations = permutations
        self.shingling = shingling
        self.seed = seed
        self.scope = scope
        self.lsh = lsh
        self.threads = threads
    }
}

/// The clusters near-duplicate detection found over a list of texts.
public struct NearDuplicateClusters: Sendable {
    /// For each text, the index of its cluster's representative (the smallest index in the cluster).
    public var representative: [Int]
    /// For each removed text, the kept-or-removed text whose verified pair merged it, and their Jaccard.
    public var matchedWith: [Int: (index: Int, jaccard: Double)]
    /// Candidate pairs verified with exact Jaccard.
    public var candidatePairs = 0
    /// Candidate pairs at or above the threshold.
    public var confirmedPairs = 0
    /// The banding used.
    public var lsh: LSHParameters
    /// Seconds spent on signatures and on banding plus verification.
    public var signatureSeconds = 0.0, clusterSeconds = 0.0
}

/// Near-duplicate removal with MinHash and LSH.
public enum NearDedup {
    /// Keeps the first record (in input order) of each near-duplicate cluster. Two records are joined when a
    /// band of their signatures agrees and the exact Jaccard of their shingle sets is at least the threshold;
    /// clusters are the transitive closure of those pairs (a chain a~b~c is one cluster even if a and c are
    /// further apart). Records with an empty text (no user turn under `.query`) are kept and never compared.
    public static func run(_ records: [ConversationRecord], options: NearDedupOptions = NearDedupOptions()) -> FilterResult {
        let texts = records.map { text(of: $0, scope: options.scope) }
        let found = clusters(texts, options: options)
        var report = FilterReport(filter: "minhash")
        report.input = records.count
        var kept: [ConversationRecord] = []
        for (index, record) in records.enumerated() {
            if found.representative[index] == index {
                kept.append(record)
                continue
            }
            let match = found.matchedWith[index]
            let partner = match.map { ExactDedup.label(records[$0.index], $0.index) } ?? "?"
            let score = match.map { String(format: "%.3f", $0.jaccard) } ?? "?"
            report.remove("near-duplicate",
                          example: "\(ExactDedup.label(record, index)) ~ \(partner) (Jaccard \(score)): \(texts[index])")
        }
        report.kept = kept.count
        report.details = [
            "threshold": .double(options.threshold), "permutations": .int(options.permutations),
            "shingles": .string(options.shingling.name), "scope": .string(options.scope.rawValue),
            "bands": .int(found.lsh.bands), "rows": .int(found.lsh.rows),
            "candidate_pairs": .int(found.candidatePairs), "confirmed_pairs": .int(found.confirmedPairs),
            "signature_seconds": .double(found.signatureSeconds), "cluster_seconds": .double(found.clusterSeconds),
        ]
        return FilterResult(kept: kept, report: report)
    }

    /// The text of `record` compared under `scope`.
    public static func text(of record: ConversationRecord, scope: NearDedupOptions.Scope) -> String {
        switch scope {
        case .query: return record.query ?? ""
        case .conversation: return record.messages.map(\.content).joined(separator: "\n")
        }
    }

    /// Clusters `texts`: signatures in parallel, LSH buckets per band, verified pairs joined by union-find.
    public static func clusters(_ texts: [String], options: NearDedupOptions) -> NearDuplicateClusters {
        let lsh = options.lsh ?? LSHParameters.forRecall(threshold: options.threshold, permutations: options.permutations,
                                                            recall: options.recallAtThreshold)
        precondition(lsh.bands * lsh.rows <= options.permutations, "bands × rows must not exceed the permutations")
        let start = Date()
        let hasher = MinHasher(permutations: options.permutations, seed: options.seed)
        let (signatures, empty) = signaturesInParallel(texts, hasher: hasher, shingling: options.shingling,
                                                       threads: options.threads)
        var result = NearDuplicateClusters(representative: Array(texts.indices), matchedWith: [:], lsh: lsh)
        result.signatureSeconds = Date().timeIntervalSince(start)
        let clusterStart = Date()
        var sets = UnionFind(count: texts.count)
        var shingleCache: [Int: [UInt64]] = [:]
        var checked = Set<UInt64>()
        func shingles(_ i: Int) -> [UInt64] {
            if let s = shingleCache[i] { return s }
            let s = Shingles.hashes(texts[i], options.shingling)
            shingleCache[i] = s
            return s
        }
        let k = options.permutations
        for band in 0..<lsh.bands {
            var keyed: [(key: UInt64, index: Int32)] = []
            keyed.reserveCapacity(texts.count)
            signatures.withUnsafeBufferPointer { sig in
                for i in texts.indices where !empty[i] {
                    var h: UInt64 = UInt64(band) &* 0x9E37_79B9_7F4A_7C15
                    let base = i * k + band * lsh.rows
                    for r in 0..<lsh.rows { h = SplitMix64.mix(h ^ UInt64(sig[base + r])) }
                    keyed.append((h, Int32(i)))
                }
            }
            keyed.sort { $0.key != $1.key ? $0.key < $1.key : $0.index < $1.index }
            var groupStart = 0
            while groupStart < keyed.count {
                var groupEnd = groupStart + 1
                while groupEnd < keyed.count && keyed[groupEnd].key == keyed[groupStart].key { groupEnd += 1 }
                for jPos in (groupStart + 1)..<max(groupEnd, groupStart + 1) {
                    let j = Int(keyed[jPos].index)
                    for iPos in groupStart..<jPos {
                        let i = Int(keyed[iPos].index)
                        guard sets.find(i) != sets.find(j) else { continue }
                        guard checked.insert(UInt64(i) << 32 | UInt64(j)).inserted else { continue }
                        result.candidatePairs += 1
                        let jaccard = Shingles.jaccard(shingles(i), shingles(j))
                        guard jaccard >= options.threshold else { continue }
                        result.confirmedPairs += 1
                        sets.union(i, j)
                        if result.matchedWith[j] == nil { result.matchedWith[j] = (i, jaccard) }
                    }
                }
                groupStart = groupEnd
            }
        }
        for i in texts.indices { result.representative[i] = sets.find(i) }
        // A removed text's recorded partner may itself be removed; fall back to the representative.
        for i in texts.indices where result.representative[i] != i && result.matchedWith[i] == nil {
            let rep = result.representative[i]
            result.matchedWith[i] = (rep, Shingles.jaccard(shingles(i), shingles(rep)))
        }
        result.clusterSeconds = Date().timeIntervalSince(clusterStart)
        return result
    }

    /// Signatures of every text (row i at `i * k`), computed on `threads` threads (every core by default),
    /// and which texts have no shingles.
    static func signaturesInParallel(_ texts: [String], hasher: MinHasher, shingling: Shingling,
                                     threads: Int?) -> ([UInt32], [Bool]) {
        let k = hasher.permutations
        var signatures = [UInt32](repeating: .max, count: texts.count * k)
        var empty = [Bool](repeating: false, count: texts.count)
        let workers = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let chunk = max(1, (texts.count + workers * 8 - 1) / (workers * 8))
        let chunks = (texts.count + chunk - 1) / chunk
        signatures.withUnsafeMutableBufferPointer { sig in
            empty.withUnsafeMutableBufferPointer { emptyOut in
                let sigBase = sig.baseAddress, emptyBase = emptyOut.baseAddress
                let run = { (c: Int) in
                    for i in (c * chunk)..<min(texts.count, (c + 1) * chunk) {
                        let shingles = Shingles.hashes(texts[i], shingling)
                        emptyBase?[i] = shingles.isEmpty
                        hasher.fill(UnsafeMutableBufferPointer(start: sigBase.map { $0 + i * k }, count: k), shingles)
                    }
                }
                if workers == 1 {
                    for c in 0..<chunks { run(c) }
                } else {
                    DispatchQueue.concurrentPerform(iterations: chunks, execute: run)
                }
            }
        }
        return (signatures, empty)
    }
}

/// Disjoint sets over 0..<count whose root is always the smallest member (so it is the record to keep).
struct UnionFind {
    var parent: [Int]

    init(count: Int) { parent = Array(0..<count) }

    mutating func find(_ x: Int) -> Int {
        var root = x
        while parent[root] != root { root = parent[root] }
        var node = x
        while parent[node] != root {
            let next = parent[node]
            parent[node] = root
            node = next
        }
        return root
    }

    mutating func union(_ x: Int, _ y: Int) {
        let rx = find(x), ry = find(y)
        guard rx != ry else { return }
        if rx < ry { parent[ry] = rx } else { parent[rx] = ry }
    }
}
