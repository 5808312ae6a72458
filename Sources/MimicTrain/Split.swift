// Seeded shuffles (the block order) and the held-out split (MimicCore's one split): the same seed picks the same examples.
import Foundation
import MimicCore
import MimicTensor

/// Splits items into a training part and a held-out part of about `heldOutFraction` of them with the one split of
/// every stage, `SeededSelection.split` (the rule `mimic data split --fraction` uses): the first items of a seeded
/// SplitMix64 permutation are held out; both parts keep the input order.
///
/// The held-out count is `heldOutFraction × count` rounded, but at least 1 when the fraction is above 0 and at
/// most `count - 1` when it is below 1 (for two items or more). Split conversations before cutting them into
/// blocks, so that no conversation lands on both sides. Throws `DataOptionError` for a fraction outside 0…1.
public func split<Element>(_ examples: [Element], heldOutFraction: Double, seed: UInt64) throws
    -> (train: [Element], heldOut: [Element])
{
    guard let parts = SeededSelection.split(examples, size: .fraction(heldOutFraction), seed: seed) else {
        throw DataOptionError.invalid(option: "heldOutFraction", value: "\(heldOutFraction)", expected: "a fraction from 0 to 1 (0.05 holds out 5%)")
    }
    return parts
}

/// 0..<count in an order drawn from `generator` (Fisher–Yates with unbiased bounded draws, so the order depends
/// only on the generator's output, not on the standard library's shuffle).
func seededPermutation(_ count: Int, _ generator: inout SeededGenerator) -> [Int] {
    var order = Array(0..<count)
    var i = count - 1
    while i > 0 {
        let j = Int(uniform(below: UInt64(i + 1), &generator))
        order.swapAt(i, j)
        i -= 1
    }
    return order
}

/// A uniform integer in 0..<bound (Lemire's multiply-and-reject).
func uniform(below bound: UInt64, _ generator: inout SeededGenerator) -> UInt64 {
    precondition(bound > 0, "the bound must be positive")
    var product = generator.next().multipliedFullWidth(by: bound)
    if product.low < bound {
        let threshold = (0 &- bound) % bound
        while product.low < threshold { product = generator.next().multipliedFullWidth(by: bound) }
    }
    return product.high
}

/// An option of data preparation with a value it cannot take.
public enum DataOptionError: LocalizedError, Equatable, Sendable {
    /// `option` is `value`, but must be `expected`.
    case invalid(option: String, value: String, expected: String)

    /// A one-line description naming the option, with the values it accepts.
    public var errorDescription: String? {
        switch self {
        case .invalid(let option, let value, let expected): return "\(option) is \(value); it must be \(expected)."
        }
    }
}
