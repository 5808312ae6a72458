// SplitMix64: the small seeded random source of the teacher's jitter and of MimicData's generators and filters
// (neither imports MimicTensor), with per-request streams and version-stable uniform draws, so the same seed asks
// the same requests on every run.

/// A seedable 64-bit generator (Steele, Lea and Flood's SplitMix64). `below` and `sample` use only its own
/// arithmetic, not the standard library's range algorithms, so their results never change with the toolchain.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The internal state.
    public private(set) var state: UInt64

    /// A generator starting from `seed`.
    public init(seed: UInt64) { state = seed }

    /// Stream `stream` of `seed`: request i of a run draws from `SplitMix64(seed: seed, stream: i)`, so it does not
    /// depend on how many draws earlier requests made.
    public init(seed: UInt64, stream: UInt64) {
        state = Self.mix(seed ^ Self.mix(stream &+ 0x632B_E59B_D9B4_E019))
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// A uniform draw in [0, 1): the top 53 bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// A uniform integer in `0..<n` (`n > 0`), by rejection (no modulo bias).
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0, "below(n) needs n > 0")
        return below(Bound(n))
    }

    /// A bound of `below` with its rejection limit worked out once, for many draws below the same `n`.
    public struct Bound: Sendable {
        let bound: UInt64
        let limit: UInt64

        /// The bound `n` (`n > 0`).
        public init(_ n: Int) {
            precondition(n > 0, "a bound needs n > 0")
            bound = UInt64(n)
            limit = UInt64.max - UInt64.max % bound
        }
    }

    /// `below(n)` for a bound made once: the same draws, one division fewer each.
    @inline(__always)
    public mutating func below(_ b: Bound) -> Int {
        while true {
            let x = next()
            if x < b.limit { return Int(x % b.bound) }
        }
    }

    /// `below(b)`, adding to `rejections` each draw it threw away: with none, every `below` is exactly one `next`,
    /// which is what lets `skip` jump to a later draw.
    public mutating func below(_ b: Bound, rejections: inout Int) -> Int {
        while true {
            let x = next()
            if x < b.limit { return Int(x % b.bound) }
            rejections += 1
        }
    }

    /// Moves on `draws` calls of `next` at once (the state only counts them).
    public mutating func skip(_ draws: UInt64) {
        state &+= draws &* 0x9E37_79B9_7F4A_7C15
    }

    /// `count` distinct indices of `0..<n` in random order (Floyd's algorithm, then a shuffle); all of them if `count >= n`.
    public mutating func sampleIndices(_ n: Int, count: Int) -> [Int] {
        let k = min(max(count, 0), n)
        var chosen = Set<Int>()
        var order: [Int] = []
        for j in (n - k)..<n {
            let t = below(j + 1)
            let pick = chosen.contains(t) ? j : t
            chosen.insert(pick)
            order.append(pick)
        }
        // Floyd's order is not a uniform permutation: shuffle the few picks (Fisher-Yates).
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, below(i + 1)) }
        return order
    }

    /// The SplitMix64 output function: a bijective 64-bit mix (also a cheap seeded hash of an integer).
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension String {
    /// FNV-1a of the UTF-8 bytes: a hash that is the same in every process (Swift's `hashValue` is seeded per run),
    /// for naming a stream or a lock by a string.
    public var hashValueStable: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
