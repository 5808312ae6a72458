// Budgets and splits: seeded subsets by token budget (nested: a larger budget's subset contains a smaller
// one's), seeded train/held-out splits, and mixtures of several sources with weights (ShareGPT-Mix).
import Foundation
import MimicTokenizers
import MimicCore
import MimicTeacher

/// A failure choosing a subset, split or mixture, naming the setting and what to do.
public enum SubsetError: Error, LocalizedError, Sendable, Hashable {
    /// A setting is out of range.
    case invalid(setting: String, problem: String)

    public var errorDescription: String? {
        switch self {
        case .invalid(let setting, let problem): return "\(setting): \(problem)"
        }
    }
}

/// The records a subset took and how many tokens they hold.
public struct SubsetReport: Codable, Sendable, Hashable {
    /// Records offered.
    public var available = 0
    /// Tokens in all records offered.
    public var availableTokens = 0
    /// Records taken.
    public var taken = 0
    /// Tokens in the records taken.
    public var tokens = 0
    /// The budget asked for.
    public var budget = 0
    /// Every record was taken before the budget was reached.
    public var exhausted = false
    /// What the tokens count ("words", a tokenizer path).
    public var counter = ""

    /// An empty report.
    public init() {}
}

/// Seeded subsets, splits and mixtures. All randomness is a `SplitMix64` permutation of the record indices,
/// so the same records, seed and settings give the same bytes.
public enum Subsets {
    /// A uniformly random permutation of `0..<n` (`SeededSelection.permutation`).
    public static func permutation(_ n: Int, seed: UInt64) -> [Int] { SeededSelection.permutation(n, seed: seed) }

    /// Takes records in the seeded random order while the running total stays within `budget` tokens, and
    /// stops at the first record that would pass it. So the subset never exceeds the budget, and with the same
    /// seed a larger budget's subset contains a smaller one's (the paper's token axis is a nested series).
    /// The records are returned in their input order.
    public static func byTokens(_ records: [ConversationRecord], budget: Int, seed: UInt64,
                                counter: TokenCounter = .words) throws -> ([ConversationRecord], SubsetReport) {
        guard budget >= 0 else { throw SubsetError.invalid(setting: "token budget", problem: "\(budget) is negative") }
        return byTokens(records, counts: counter.tokens(of: records), budget: budget, seed: seed, counterName: counter.name)
    }

    static func byTokens(_ records: [ConversationRecord], counts: [Int], budget: Int, seed: UInt64,
                         counterName: String) -> ([ConversationRecord], SubsetReport) {
        var report = SubsetReport()
        report.available = records.count
        report.availableTokens = counts.reduce(0, +)
        report.budget = budget
        report.counter = counterName
        let taken = SeededSelection.withinBudget(counts: counts, budget: budget, seed: seed)
        report.taken = taken.indices.count
        report.tokens = taken.tokens
        report.exhausted = taken.exhausted
        return (taken.indices.map { records[$0] }, report)
    }

    /// How many records go to the held-out side (the one rule `mimic train` uses too).
    public typealias HeldOut = HeldOutSize

    /// Splits `records` into train and held-out sets with `SeededSelection.split`: the first records of the
    /// seeded permutation are held out (a fraction above 0 holds out at least one, below 1 keeps at least one).
    /// Both sides keep the input order.
    public static func split(_ records: [ConversationRecord], heldOut: HeldOut,
                             seed: UInt64) throws -> (train: [ConversationRecord], heldOut: [ConversationRecord]) {
        guard let parts = SeededSelection.split(records, size: heldOut, seed: seed) else {
            switch heldOut {
            case .fraction(let f): throw SubsetError.invalid(setting: "held-out fraction", problem: "\(f) is not between 0 and 1")
            case .count(let c): throw SubsetError.invalid(setting: "held-out count", problem: "\(c) is negative")
            }
        }
        return parts
    }
}

/// One source of a mixture.
public struct MixSource: Sendable {
    /// Its name (the file path), written to each taken record's `meta.mix_source`.
    public var name: String
    /// Its records.
    public var records: [ConversationRecord]
    /// Its weight (any positive number; weights are normalised to sum to 1).
    public var weight: Double

    /// Creates a source.
    public init(name: String, records: [ConversationRecord], weight: Double) {
        self.name = name
        self.records = records
        self.weight = weight
    }
}

/// What a mixture took from each source.
public struct MixReport: Codable, Sendable, Hashable {
    /// The total budget asked for.
    public var budget = 0
    /// Tokens taken over all sources.
    public var tokens = 0
    /// Per source, in the order given: its name, normalised weight, share of the budget and subset report.
    public var sources: [Source] = []

    /// One source's part.
    public struct Source: Codable, Sendable, Hashable {
        /// The source's name.
        public var name: String
        /// Its weight divided by the sum of weights.
        public var weight: Double
        /// Its share of the budget: floor(weight × budget).
        public var share: Int
        /// What was taken.
        public var subset: SubsetReport
    }
}

extension Subsets {
    /// Mixes `sources` within `budget` tokens: source i gets floor(w_i / Σw × budget) tokens and contributes a
    /// `byTokens` subset of that size (seed stream i of `seed`). A source that runs out contributes everything it
    /// has (its report says `exhausted`) and the shortfall is not moved to the other sources, so the weights
    /// stay what was asked for and the total falls short; the report shows it. The result is shuffled with the
    /// seed so sources interleave, and each record's `meta.mix_source` names its source.
    public static func mix(_ sources: [MixSource], budget: Int, seed: UInt64,
                           counter: TokenCounter = .words) throws -> ([ConversationRecord], MixReport) {
        guard !sources.isEmpty else { throw SubsetError.invalid(setting: "mix", problem: "no sources (give --mix FILE:WEIGHT)") }
        guard budget >= 0 else { throw SubsetError.invalid(setting: "token budget", problem: "\(budget) is negative") }
        for source in sources where !(source.weight > 0 && source.weight.isFinite) {
            throw SubsetError.invalid(setting: "mix weight of \(source.name)", problem: "\(source.weight) is not a positive number")
        }
        let total = sources.reduce(0) { $0 + $1.weight }
        var report = MixReport()
        report.budget = budget
        var mixed: [ConversationRecord] = []
        for (i, source) in sources.enumerated() {
            let weight = source.weight / total
            let share = Int((weight * Double(budget)).rounded(.down))
            var rng = SplitMix64(seed: seed, stream: UInt64(i))
            let (taken, subset) = byTokens(source.records, counts: counter.tokens(of: source.records), budget: share,
                                           seed: rng.next(), counterName: counter.name)
            report.sources.append(.init(name: source.name, weight: weight, share: share, subset: subset))
            report.tokens += subset.tokens
            for var record in taken {
                record.meta.extra["mix_source"] = .string(source.name)
                mixed.append(record)
            }
        }
        let order = permutation(mixed.count, seed: seed)
        return (order.map { mixed[$0] }, report)
    }
}
