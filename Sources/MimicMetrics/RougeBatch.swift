// The fast path beside Rouge.score: a batch of pairs split over threads, each thread tokenizing UTF-8 bytes,
// interning tokens to ids with a memo of their Porter stems, and counting unigrams, bigrams and the bit-parallel
// LCS on ids. RougeTests hold it to Rouge.score bit for bit.
import Foundation
import MimicCore

extension Rouge {
    /// The scores of every (target, prediction) pair, equal bit for bit to `score(target:prediction:stem:)` of
    /// each, on `threads` threads (each with its own token and stem memo).
    /// This is where the fast path is chosen; `score(target:prediction:stem:)` stays the plain reference.
    public static func scoreAll(targets: [String], predictions: [String], stem: Bool = true,
                                threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> [RougeScores] {
        precondition(targets.count == predictions.count, "scoreAll needs one prediction per target")
        return ParallelMap.run(targets.count, threads: max(1, threads), chunk: 64,
                               state: { RougeBatchScorer(stem: stem) }) { i, scorer in
            scorer.score(target: targets[i], prediction: predictions[i])
        }
    }
}

/// One thread's scorer: vocabularies that persist across pairs, and per-pair buffers reused without allocation.
struct RougeBatchScorer {
    let stem: Bool
    /// Tokens as they appear in the text (any case) -> stem id.
    private var raw = ByteStringTable(capacity: 1 << 12)
    /// Stems (or lower-cased tokens without stemming) -> id, the entry number.
    private var stems = ByteStringTable(capacity: 1 << 11)
    private var stemmer = FastPorterStemmer()
    private var lowered: [UInt8] = []   // (token bytes,) scratch
    private var cleaned: [UInt8] = []   // (text bytes,) a non-ASCII text lower-cased, non-[a-z0-9] as spaces
    private var target: [Int32] = []    // (target tokens,) stem ids
    private var prediction: [Int32] = []  // (prediction tokens,) stem ids
    private var slotOf: [Int32] = []    // (stem ids,) 1 + the id's slot among the target's distinct ids; 0 otherwise
    private var remaining: [Int32] = [] // (slots,) target occurrences not yet matched by the prediction
    private var masks: [UInt64] = []    // (slots, words) the positions of each slot's id in the target, bit per token
    private var row: [UInt64] = []      // (words,) the bit-parallel LCS vector
    private var bigrams = BigramCounts()

    init(stem: Bool) { self.stem = stem }

    /// rouge1, rouge2 and rougeL of one pair, as `Rouge.score(target:prediction:stem:)` computes them.
    mutating func score(target t: String, prediction p: String) -> RougeScores {
        var ids = target
        target = []  // moved out and back, keeping its storage
        tokenize(t, into: &ids)
        target = ids
        ids = prediction
        prediction = []
        tokenize(p, into: &ids)
        prediction = ids
        if slotOf.count < stems.count { slotOf.append(contentsOf: repeatElement(0, count: 2 * stems.count - slotOf.count)) }
        let words = (target.count + 63) / 64
        indexTarget(words: words)
        let (overlap1, lcs) = matchPrediction(words: words)
        let overlap2 = bigramOverlap()
        for id in target { slotOf[Int(id)] = 0 }
        let m = target.count, n = prediction.count
        let rougeL = m > 0 && n > 0
            ? RougeScore(precision: Double(lcs) / Double(n), recall: Double(lcs) / Double(m))
            : RougeScore(precision: 0, recall: 0)
        return RougeScores(
            rouge1: RougeScore(precision: Double(overlap1) / Double(max(n, 1)), recall: Double(overlap1) / Double(max(m, 1))),
            rouge2: RougeScore(precision: Double(overlap2) / Double(max(n - 1, 1)),
                               recall: Double(overlap2) / Double(max(m - 1, 1))),
            rougeL: rougeL)
    }

    // MARK: - Counting on ids

    /// Gives each distinct target id a slot, its count and its position mask.
    private mutating func indexTarget(words: Int) {
        if remaining.count < target.count { remaining = [Int32](repeating: 0, count: 2 * target.count) }
        if masks.count < target.count * words { masks = [UInt64](repeating: 0, count: 2 * target.count * words) }
        if row.count < words { row = [UInt64](repeating: 0, count: 2 * words) }
        var distinct: Int32 = 0
        for (i, id) in target.enumerated() {
            var s = slotOf[Int(id)]
            if s == 0 {
                distinct += 1
                s = distinct
                slotOf[Int(id)] = s
                remaining[Int(s) - 1] = 0
                for w in 0..<words { masks[(Int(s) - 1) * words + w] = 0 }
            }
            remaining[Int(s) - 1] += 1
            masks[(Int(s) - 1) * words + i / 64] |= 1 << UInt64(i % 64)
        }
    }

    /// The clipped unigram overlap and the LCS length (Crochemore et al.: V += V & M, or-ed with V & ~M; the zeros
    /// of V count the LCS).
    private mutating func matchPrediction(words: Int) -> (Int, Int) {
        var overlap = 0
        if words == 1 {
            var v: UInt64 = ~0
            for id in prediction {
                let s = Int(slotOf[Int(id)]) - 1
                guard s >= 0 else { continue }
                if remaining[s] > 0 { overlap += 1; remaining[s] -= 1 }
                let m = masks[s]
                v = (v &+ (v & m)) | (v & ~m)
            }
            let valid: UInt64 = target.count == 64 ? ~0 : (1 << UInt64(target.count)) - 1
            return (overlap, (~v & valid).nonzeroBitCount)
        }
        for w in 0..<words { row[w] = ~0 }
        for id in prediction {
            let s = Int(slotOf[Int(id)]) - 1
            guard s >= 0 else { continue }
            if remaining[s] > 0 { overlap += 1; remaining[s] -= 1 }
            var carry: UInt64 = 0
            for w in 0..<words {
                let m = masks[s * words + w], v = row[w]
                let (sum1, o1) = v.addingReportingOverflow(v & m)
                let (sum2, o2) = sum1.addingReportingOverflow(carry)
                carry = (o1 || o2) ? 1 : 0
                row[w] = sum2 | (v & ~m)
            }
        }
        var zeros = 0
        for w in 0..<words {
            let bits = min(64, target.count - 64 * w)
            let valid: UInt64 = bits == 64 ? ~0 : (1 << UInt64(bits)) - 1
            zeros += (~row[w] & valid).nonzeroBitCount
        }
        return (overlap, zeros)
    }

    /// The clipped bigram overlap; bigrams are keyed by the slots of their two ids (a prediction bigram with an id
    /// the target lacks cannot match).
    private mutating func bigramOverlap() -> Int {
        guard target.count >= 2, prediction.count >= 2 else { return 0 }
        bigrams.reset(for: target.count - 1)
        for i in 1..<target.count {
            bigrams.add(UInt64(slotOf[Int(target[i - 1])]) << 32 | UInt64(slotOf[Int(target[i])]))
        }
        var overlap = 0
        var previous = slotOf[Int(prediction[0])]
        for i in 1..<prediction.count {
            let s = slotOf[Int(prediction[i])]
            if previous != 0 && s != 0 && bigrams.take(UInt64(previous) << 32 | UInt64(s)) { overlap += 1 }
            previous = s
        }
        return overlap
    }

    // MARK: - Tokens

    /// rouge-score's tokens of `text` as stem ids: lower-cased, non-[a-z0-9] separating, Porter stems of tokens
    /// longer than 3 characters when stemming.
    private mutating func tokenize(_ text: String, into ids: inout [Int32]) {
        ids.removeAll(keepingCapacity: true)
        var text = text
        text.withUTF8 { bytes in
            if Self.isASCII(bytes) { return scan(bytes, into: &ids) }
            clean(bytes)
            let cleaned = self.cleaned
            cleaned.withUnsafeBufferPointer { scan($0, into: &ids) }
        }
    }

    /// The tokens `Rouge.tokens(text, stem:)` gives, through this scorer's tokenizer and memo (for the tests).
    mutating func tokens(_ text: String) -> [String] {
        var ids: [Int32] = []
        tokenize(text, into: &ids)
        return ids.map { stems.key($0) }
    }

    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var high: UInt8 = 0
        for c in bytes { high |= c }
        return high < 0x80
    }

    @inline(__always) static func isTokenByte(_ c: UInt8) -> Bool { c &- 0x30 < 10 || (c | 0x20) &- 0x61 < 26 }

    /// Copies the valid UTF-8 `bytes` to `cleaned`, each non-ASCII scalar replaced by its lower-case mapping as
    /// `String.lowercased()` makes it, with ASCII letters and digits kept and anything else a space (so "İ" gives
    /// "i ", the Kelvin sign "k").
    private mutating func clean(_ bytes: UnsafeBufferPointer<UInt8>) {
        cleaned.removeAll(keepingCapacity: true)
        var i = 0
        while i < bytes.count {
            let lead = bytes[i]
            if lead < 0x80 {
                cleaned.append(lead)
                i += 1
                continue
            }
            let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
            var value = UInt32(lead & (lead >= 0xF0 ? 0x07 : lead >= 0xE0 ? 0x0F : 0x1F))
            for j in 1..<length where i + j < bytes.count { value = value << 6 | UInt32(bytes[i + j] & 0x3F) }
            i += length
            guard let scalar = Unicode.Scalar(value) else {
                cleaned.append(0x20)
                continue
            }
            for s in scalar.properties.lowercaseMapping.unicodeScalars {
                cleaned.append(s.isASCII && Self.isTokenByte(UInt8(s.value)) ? UInt8(s.value) : 0x20)
            }
        }
    }

    /// Splits ASCII `bytes` into tokens and appends their stem ids (memoized by the token's bytes as written).
    private mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>, into ids: inout [Int32]) {
        let n = bytes.count
        var i = 0
        while i < n {
            while i < n && !Self.isTokenByte(bytes[i]) { i += 1 }
            guard i < n else { break }
            let start = i
            while i < n && Self.isTokenByte(bytes[i]) { i += 1 }
            let key = PackedKey(bytes, start: start, length: i - start)
            let token = UnsafeBufferPointer(rebasing: bytes[start..<i])
            if let id = raw.value(key, token) {
                ids.append(id)
            } else {
                let id = stemID(token)
                raw.insert(key, token, value: id)
                ids.append(id)
            }
        }
    }

    /// The stem id of a token not seen before: lower-cased, stemmed when longer than 3 characters, interned.
    private mutating func stemID(_ token: UnsafeBufferPointer<UInt8>) -> Int32 {
        lowered.removeAll(keepingCapacity: true)
        for c in token { lowered.append(c &- 0x41 < 26 ? c | 0x20 : c) }
        return lowered.withUnsafeBufferPointer { word in
            guard stem && word.count > 3 else { return stems.intern(word) }
            stemmer.stem(word)
            return stemmer.word.withUnsafeBufferPointer { stems.intern($0) }
        }
    }
}

/// A multiset of bigram keys for one pair: open addressing with a stamp per slot, so starting over is O(1).
struct BigramCounts {
    private var keys: [UInt64] = []   // (capacity,)
    private var counts: [Int32] = []  // (capacity,) occurrences not yet taken
    private var stamps: [UInt32] = [] // (capacity,) the slot is in use when it holds the current stamp
    private var stamp: UInt32 = 0
    private var shift: UInt64 = 64

    /// Empties the multiset and makes room for `count` keys.
    mutating func reset(for count: Int) {
        if keys.count < 2 * count {
            let size = max(64, 1 << (Int.bitWidth - (2 * count - 1).leadingZeroBitCount))
            keys = [UInt64](repeating: 0, count: size)
            counts = [Int32](repeating: 0, count: size)
            stamps = [UInt32](repeating: 0, count: size)
            shift = UInt64(64 - size.trailingZeroBitCount)
            stamp = 0
        }
        if stamp == .max {
            for i in stamps.indices { stamps[i] = 0 }
            stamp = 0
        }
        stamp += 1
    }

    @inline(__always) private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// Adds one occurrence of `key`.
    mutating func add(_ key: UInt64) {
        let mask = keys.count - 1
        var slot = home(key)
        while stamps[slot] == stamp {
            if keys[slot] == key { counts[slot] += 1; return }
            slot = (slot + 1) & mask
        }
        stamps[slot] = stamp
        keys[slot] = key
        counts[slot] = 1
    }

    /// Takes one occurrence of `key` if any is left.
    mutating func take(_ key: UInt64) -> Bool {
        let mask = keys.count - 1
        var slot = home(key)
        while stamps[slot] == stamp {
            if keys[slot] == key {
                guard counts[slot] > 0 else { return false }
                counts[slot] -= 1
                return true
            }
            slot = (slot + 1) & mask
        }
        return false
    }
}
