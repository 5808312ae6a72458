// The BPE merge loop: lowest-ranked adjacent pair first, leftmost on ties, as HF tokenizers, llama.cpp and tiktoken do.
import MimicCore

/// Pair ranks: which two adjacent tokens merge, in what priority, into which token.
struct MergeTable: Sendable {
    /// (left id << 32 | right id) → (rank << 32 | merged id).
    private var table: [UInt64: UInt64] = [:]

    var count: Int { table.count }

    init() {}

    /// Records that `left` + `right` merge into `merged` with priority `rank` (lower merges first).
    /// A pair already present keeps its better rank.
    mutating func add(left: Int, right: Int, merged: Int, rank: Int) {
        let key = UInt64(UInt32(truncatingIfNeeded: left)) << 32 | UInt64(UInt32(truncatingIfNeeded: right))
        let value = UInt64(UInt32(truncatingIfNeeded: rank)) << 32 | UInt64(UInt32(truncatingIfNeeded: merged))
        if let old = table[key], old <= value { return }
        table[key] = value
    }

    /// Every merge as (left, right, merged, rank), lowest rank first (ties by left id, then right id).
    var entries: [(left: Int, right: Int, merged: Int, rank: Int)] {
        table.map { key, value in
            (left: Int(UInt32(truncatingIfNeeded: key >> 32)), right: Int(UInt32(truncatingIfNeeded: key)),
             merged: Int(UInt32(truncatingIfNeeded: value)), rank: Int(UInt32(truncatingIfNeeded: value >> 32)))
        }.sorted { ($0.rank, $0.left, $0.right) < ($1.rank, $1.left, $1.right) }
    }

    /// (rank, merged id) for a pair, if it merges.
    @inline(__always)
    func lookup(_ left: Int32, _ right: Int32) -> (rank: UInt32, merged: Int32)? {
        let key = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
        guard let value = table[key] else { return nil }
        return (UInt32(truncatingIfNeeded: value >> 32), Int32(truncatingIfNeeded: UInt32(truncatingIfNeeded: value)))
    }

    /// Merges `symbols` (the ids of one word's single-byte tokens) until no adjacent pair has a rank.
    ///
    /// Each round merges the pair of lowest rank; ties go to the leftmost pair. A heap keyed by
    /// (rank, position of the left symbol) keeps this O(n log n) for long words (runs of spaces).
    func merge(_ symbols: [Int32]) -> [Int32] {
        let n = symbols.count
        if n < 2 { return symbols }
        var ids = symbols
        var next = [Int32](0..<Int32(n)).map { $0 + 1 }  // n means "none"
        var prev = [Int32](0..<Int32(n)).map { $0 - 1 }  // -1 means "none"
        var alive = [Bool](repeating: true, count: n)
        var heap = PairHeap()
        for i in 0..<(n - 1) {
            if let (rank, _) = lookup(ids[i], ids[i + 1]) {
                heap.push(.init(rank: rank, left: Int32(i), leftID: ids[i], rightID: ids[i + 1]))
            }
        }
        while let top = heap.pop() {
            let left = Int(top.left)
            guard alive[left], ids[left] == top.leftID else { continue }
            let right = Int(next[left])
            guard right < n, ids[right] == top.rightID, let (_, merged) = lookup(top.leftID, top.rightID)
            else { continue }
            ids[left] = merged
            alive[right] = false
            next[left] = next[right]
            if Int(next[right]) < n { prev[Int(next[right])] = Int32(left) }
            let before = Int(prev[left])
            if before >= 0, let (rank, _) = lookup(ids[before], merged) {
                heap.push(.init(rank: rank, left: Int32(before), leftID: ids[before], rightID: merged))
            }
            let after = Int(next[left])
            if after < n, let (rank, _) = lookup(merged, ids[after]) {
                heap.push(.init(rank: rank, left: Int32(left), leftID: merged, rightID: ids[after]))
            }
        }
        var out: [Int32] = []
        out.reserveCapacity(n)
        var i = 0
        while i < n {
            out.append(ids[i])
            i = Int(next[i])
        }
        return out
    }
}

/// A binary min-heap of candidate merges ordered by (rank, left position).
private struct PairHeap {
    struct Entry {
        var rank: UInt32
        var left: Int32
        var leftID: Int32
        var rightID: Int32
        @inline(__always) var key: UInt64 { UInt64(rank) << 32 | UInt64(UInt32(bitPattern: left)) }
    }

    private var items: [Entry] = []

    mutating func push(_ entry: Entry) {
        items.append(entry)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].key < items[parent].key else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if items.isEmpty { return first }
        items[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            if left >= items.count { break }
            var smallest = left
            if left + 1 < items.count && items[left + 1].key < items[left].key { smallest = left + 1 }
            guard items[smallest].key < items[parent].key else { break }
            items.swapAt(smallest, parent)
            parent = smallest
        }
        return first
    }
}
