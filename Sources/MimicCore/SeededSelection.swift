// The one held-out split and the one token-budget subset, shared by `mimic data split/subset/mix` and `mimic train`
// (--held-out, --max-tokens): a SplitMix64 permutation of the item indices, so the same seed picks the same items.
import Foundation

/// How many items go to the held-out side of a split.
public enum HeldOutSize: Sendable, Hashable {
    /// This fraction of the items (0 ≤ f ≤ 1), rounded to the nearest count, but at least 1 when f > 0 and at most
    /// count − 1 when f < 1 (for two items or more), so a small fraction still holds something out.
    case fraction(Double)
    /// Exactly this many (at most all).
    case count(Int)
}

/// Seeded selections of items by index: permutations, held-out splits and token budgets.
public enum SeededSelection {
    /// A uniformly random permutation of `0..<n` (Fisher–Yates with `SplitMix64.below`).
    public static func permutation(_ n: Int, seed: UInt64) -> [Int] {
        var rng = SplitMix64(seed: seed)
        var order = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
        return order
    }

    /// The held-out count for `count` items, or nil when the size is invalid (a fraction outside 0…1 or not a
    /// number, a negative count).
    public static func heldOutCount(_ size: HeldOutSize, of count: Int) -> Int? {
        switch size {
        case .fraction(let f):
            guard f.isFinite, f >= 0, f <= 1 else { return nil }
            var n = Int((f * Double(count)).rounded())
            if count >= 2 {
                if f > 0 { n = max(n, 1) }
                if f < 1 { n = min(n, count - 1) }
            }
            return n
        case .count(let c):
            return c >= 0 ? min(c, count) : nil
        }
    }

    /// Which of `count` items are held out: the first `heldOutCount` of the seeded permutation. Nil for an
    /// invalid size.
    public static func heldOutMask(count: Int, size: HeldOutSize, seed: UInt64) -> [Bool]? {
        guard let n = heldOutCount(size, of: count) else { return nil }
        var isHeld = [Bool](repeating: false, count: count)
        for i in permutation(count, seed: seed).prefix(n) { isHeld[i] = true }
        return isHeld
    }

    /// Splits `items` into train and held-out parts (both in input order); nil for an invalid size.
    public static func split<Element>(_ items: [Element], size: HeldOutSize, seed: UInt64)
        -> (train: [Element], heldOut: [Element])?
    {
        guard let isHeld = heldOutMask(count: items.count, size: size, seed: seed) else { return nil }
        var train: [Element] = [], held: [Element] = []
        for (i, item) in items.enumerated() {
            if isHeld[i] { held.append(item) } else { train.append(item) }
        }
        return (train, held)
    }

    /// What a token budget took.
    public struct Budgeted: Sendable, Hashable {
        /// The indices taken, ascending (input order).
        public var indices: [Int]
        /// Their tokens.
        public var tokens: Int
        /// Every item fit.
        public var exhausted: Bool
    }

    /// Takes whole items in the seeded order while the running total of `counts` stays within `budget`, stopping
    /// at the first item that would pass it. So the subset never exceeds the budget, and with the same seed a
    /// larger budget's subset contains a smaller one's (a nested series for the data-size axis).
    public static func withinBudget(counts: [Int], budget: Int, seed: UInt64) -> Budgeted {
        var chosen: [Int] = []
        var total = 0
        var stopped = false
        for i in permutation(counts.count, seed: seed) {
            if total + counts[i] > budget {
                stopped = true
                break
            }
            total += counts[i]
            chosen.append(i)
        }
        return Budgeted(indices: chosen.sorted(), tokens: total, exhausted: !stopped)
    }
}
