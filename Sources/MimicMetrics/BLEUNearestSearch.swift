// The search half of BLEUNearestIndex: postings, per-thread scratch, the bounded visit, and the parallel driver.
import Foundation
import MimicCore

/// Compressed postings of one n-gram order: for each n-gram id, the references holding it and how often.
struct NGramPostings {
    let start: [Int]
    let docs: [Int32]
    let counts: [Int32]

    init(grams: [Int32], offsets: [Int], lengths: [Int32], order: Int, vocabularySize: Int) {
        var entries: [(gram: Int32, doc: Int32, count: Int32)] = []
        entries.reserveCapacity(grams.count)
        var frequency = [Int](repeating: 0, count: vocabularySize + 1)
        for d in 0..<lengths.count {
            let length = max(0, Int(lengths[d]) - order + 1)
            guard length > 0 else { continue }
            let sorted = grams[offsets[d]..<(offsets[d] + length)].sorted()
            var i = 0
            while i < sorted.count {
                var j = i + 1
                while j < sorted.count, sorted[j] == sorted[i] { j += 1 }
                entries.append((sorted[i], Int32(d), Int32(j - i)))
                frequency[Int(sorted[i]) + 1] += 1
                i = j
            }
        }
        for g in 0..<vocabularySize { frequency[g + 1] += frequency[g] }
        var next = frequency
        var docs = [Int32](repeating: 0, count: entries.count), counts = [Int32](repeating: 0, count: entries.count)
        for entry in entries {
            let slot = next[Int(entry.gram)]
            docs[slot] = entry.doc
            counts[slot] = entry.count
            next[Int(entry.gram)] += 1
        }
        start = frequency
        self.docs = docs
        self.counts = counts
    }
}

/// One worker's reusable arrays (cleared after each hypothesis through the touched list).
struct NearestScratch {
    var matches: [[Int32]]
    var touched: [Int32] = []
    var bucketCount: [Int32] = []
    var ordered: [Int32] = []

    init(count: Int) {
        matches = [[Int32]](repeating: [Int32](repeating: 0, count: count), count: 4)
    }
}

extension BLEUNearestIndex {
    /// The distinct ids of `ids` (ignoring -1) with their counts.
    static func distinctCounts(_ ids: [Int32]) -> [(Int32, Int32)] {
        let sorted = ids.filter { $0 >= 0 }.sorted()
        var out: [(Int32, Int32)] = []
        var i = 0
        while i < sorted.count {
            var j = i + 1
            while j < sorted.count, sorted[j] == sorted[i] { j += 1 }
            out.append((sorted[i], Int32(j - i)))
            i = j
        }
        return out
    }

    /// `exp(mean log precision)` of sentence BLEU (exp smoothing, effective order) for matches c and a
    /// hypothesis of `length` tokens: `BLEU.score` less the brevity penalty, with the same operations.
    @inline(__always)
    static func precisionFactor(_ c1: Int, _ c2: Int, _ c3: Int, _ c4: Int, length: Int) -> Double {
        if c1 == 0 && c2 == 0 && c3 == 0 && c4 == 0 { return 0 }
        var smooth = 1.0, order = 0, logSum = 0.0
        for n in 1...4 {
            let total = Double(max(0, length - n + 1))
            if total == 0 { break }
            order = n
            let correct = n == 1 ? c1 : n == 2 ? c2 : n == 3 ? c3 : c4
            let p: Double
            if correct == 0 {
                smooth *= 2
                p = 100.0 / (smooth * total)
            } else {
                p = 100.0 * Double(correct) / total
            }
            logSum += Foundation.log(p)
        }
        return Foundation.exp(logSum / Double(order))
    }

    /// Accumulates the clipped matches of every reference sharing a token with `h` into the scratch
    /// (the hot loop: unchecked buffers).
    func accumulate(_ h: Hypothesis, _ s: inout NearestScratch) {
        var touched: [Int32] = []
        swap(&touched, &s.touched)  // moved out, so appending does not copy
        defer { swap(&touched, &s.touched) }
        for order in 0..<4 {
            let distinct = Self.distinctCounts(h.grams[order])
            guard !distinct.isEmpty else { continue }
            let list = postings[order]
            list.start.withUnsafeBufferPointer { start in
                list.docs.withUnsafeBufferPointer { docs in
                    list.counts.withUnsafeBufferPointer { counts in
                        s.matches[order].withUnsafeMutableBufferPointer { m in
                            for (id, hc) in distinct {
                                let lo = start[Int(id)], hi = start[Int(id) + 1]
                                if order == 0 {
                                    for p in lo..<hi {
                                        let d = Int(docs[p])
                                        if m[d] == 0 { touched.append(docs[p]) }
                                        m[d] &+= min(hc, counts[p])
                                    }
                                } else {
                                    for p in lo..<hi { m[Int(docs[p])] &+= min(hc, counts[p]) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The touched references ordered by decreasing c1 (counting sort), into `s.ordered`.
    func orderByUnigramMatches(_ s: inout NearestScratch, maxC1: Int) {
        s.bucketCount = [Int32](repeating: 0, count: maxC1 + 2)
        for d in s.touched { s.bucketCount[maxC1 - Int(s.matches[0][Int(d)])] += 1 }
        var running: Int32 = 0
        for k in 0..<s.bucketCount.count {
            let c = s.bucketCount[k]
            s.bucketCount[k] = running
            running += c
        }
        s.ordered = [Int32](repeating: 0, count: s.touched.count)
        for d in s.touched {
            let k = maxC1 - Int(s.matches[0][Int(d)])
            s.ordered[Int(s.bucketCount[k])] = d
            s.bucketCount[k] += 1
        }
    }

    func nearest(_ h: Hypothesis, excluding: Int?, _ s: inout NearestScratch) -> BLEUNeighbor {
        let eligible = count - (excluding.map { $0 >= 0 && $0 < count ? 1 : 0 } ?? 0)
        guard eligible > 0 else { return BLEUNeighbor(index: nil, score: 0) }
        var bestIndex = excluding == 0 ? 1 : 0, best = 0.0
        guard h.length > 0 else { return BLEUNeighbor(index: bestIndex, score: 0) }
        accumulate(h, &s)
        var maxC1 = 0
        for d in s.touched { maxC1 = max(maxC1, Int(s.matches[0][Int(d)])) }
        orderByUnigramMatches(&s, maxC1: maxC1)
        let length = h.length
        var currentC1 = -1, bound = 0.0, unigramOnly = 0.0
        for d32 in s.ordered {
            let d = Int(d32)
            let c1 = Int(s.matches[0][d])
            if c1 != currentC1 {
                currentC1 = c1
                bound = Self.precisionFactor(c1, min(c1, length - 1), min(c1, length - 2), min(c1, length - 3),
                                             length: length)
                if bound < best { break }
                unigramOnly = Self.precisionFactor(c1, 0, 0, 0, length: length)
            }
            if d == excluding { continue }
            let bp = BLEU.brevityPenalty(hypothesisLength: length, referenceLength: Int(lengths[d]))
            let limit = bp * bound
            if limit < best || (limit == best && d > bestIndex) { continue }
            let c2 = Int(s.matches[1][d])
            let factor = c2 == 0 ? unigramOnly
                : Self.precisionFactor(c1, c2, Int(s.matches[2][d]), Int(s.matches[3][d]), length: length)
            let score = bp * factor
            if score > best || (score == best && d < bestIndex) {
                best = score
                bestIndex = d
            }
        }
        for d in s.touched {
            for order in 0..<4 { s.matches[order][Int(d)] = 0 }
        }
        s.touched.removeAll(keepingCapacity: true)
        return BLEUNeighbor(index: bestIndex, score: best)
    }
}

extension BLEUNearestIndex {
    /// For every reference, the best other reference (reference d as the hypothesis), on `threads` threads.
    public func nearestOthers(threads: Int = 2, progress: (@Sendable (Int, Int) -> Void)? = nil) -> [BLEUNeighbor] {
        ParallelMap.run(count, threads: threads, chunk: 16, progress: progress,
                        state: { NearestScratch(count: self.count) }) { d, scratch in
            self.nearest(self.hypothesis(reference: d), excluding: d, &scratch)
        }
    }

    /// For every hypothesis, its best reference in this index, on `threads` threads.
    public func nearest(for hypotheses: [String], threads: Int = 2,
                        progress: (@Sendable (Int, Int) -> Void)? = nil) -> [BLEUNeighbor] {
        ParallelMap.run(hypotheses.count, threads: threads, chunk: 16, progress: progress,
                        state: { NearestScratch(count: self.count) }) { i, scratch in
            self.nearest(self.hypothesis(tokens: BLEU.tokens(hypotheses[i])), excluding: nil, &scratch)
        }
    }
}
