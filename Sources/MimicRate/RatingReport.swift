// `mimic rate report` and `mimic rate export`: the paper's preference figures per pair of systems, agreement (Fleiss'
// kappa, Krippendorff's alpha, each rater against the others), Bradley–Terry strengths for more than two systems,
// judge–human agreement on the same items, and rater quality; every vote as CSV and JSONL.
import Foundation
import MimicCore
import MimicMetrics

/// What `mimic rate report` is configured by.
public struct RatingReportConfig: StageConfig, Hashable {
    /// The study folder.
    public var study = ""
    /// A judgments file of `mimic judge` on the same answers, for judge–human agreement.
    public var judge: String?
    /// Bootstrap resamples of the intervals.
    public var resamples = 1000
    /// The bootstrap's seed (default: the study's).
    public var seed: UInt64?

    public init() {}

    public func validate() throws {
        try ConfigError.require(!study.isEmpty, "study", "is empty", hint: "name the study folder")
        if let judge { try ConfigError.requireFile(judge, "judge", what: "a judgments JSONL file") }
        try ConfigError.require(resamples >= 0, "resamples", "is \(resamples)", hint: "0 or more")
    }
}

/// The paper's figures for one pair of systems (A against B), from each item's majority.
public struct RatingPairFigures: Codable, Sendable, Equatable {
    public var a: String
    public var b: String
    /// Items with at least one counted rating, and those with all their ratings.
    public var items: Int
    public var completeItems: Int
    /// Percentages of items whose majority says A better, the same, B better; and A equal or better.
    public var aBetter: Double
    public var same: Double
    public var bBetter: Double
    public var aEqualOrBetter: Double
    /// The mean preference for A (A better 1, same 0.5, B better 0), its standard deviation over items (numpy's
    /// default, ddof 0) and a seeded bootstrap interval of the mean.
    public var meanPreference: Double
    public var standardDeviation: Double
    public var interval: BootstrapInterval?

    enum CodingKeys: String, CodingKey {
        case a, b, items, same, interval
        case completeItems = "complete_items", aBetter = "a_better", bBetter = "b_better", aEqualOrBetter = "a_equal_or_better"
        case meanPreference = "mean_preference", standardDeviation = "standard_deviation"
    }
}

/// One rater's quality.
public struct RaterQuality: Codable, Sendable, Equatable {
    public var rater: Int
    public var externalID: String?
    public var votes: Int
    /// Share of their votes that equal the majority of the others on the same item (nil: no shared item).
    public var agreement: Double?
    /// Attention checks answered and passed.
    public var checks: Int
    public var checksPassed: Int
    public var medianSeconds: Double?
    public var excluded: Bool
    /// Why the rater is flagged (failed attention checks, too fast), a phrase each.
    public var flags: [String]

    enum CodingKeys: String, CodingKey {
        case rater, votes, agreement, checks, excluded, flags
        case externalID = "external_id", checksPassed = "checks_passed", medianSeconds = "median_seconds"
    }
}

/// A system's Bradley–Terry strength.
public struct SystemStrength: Codable, Sendable, Equatable {
    public var system: String
    /// The log-strength (mean 0 over the systems).
    public var strength: Double
    public var interval: BootstrapInterval?
}

/// The judge's combined verdicts against the human majority on the same items.
public struct JudgeHumanAgreement: Codable, Sendable, Equatable {
    /// Items with both a judge verdict and human ratings, and the percentage where they agree (ties count as a verdict).
    public var items: Int
    public var agreement: Double?
    /// Items where neither says "same", and the percentage where they agree.
    public var itemsWithoutTies: Int
    public var agreementWithoutTies: Double?
    /// Rows: human majority a, same, b; columns: judge a, tie, b.
    public var counts: [[Int]]

    enum CodingKeys: String, CodingKey {
        case items, agreement, counts
        case itemsWithoutTies = "items_without_ties", agreementWithoutTies = "agreement_without_ties"
    }
}

/// Everything `mimic rate report` says.
public struct RatingReport: Codable, Sendable, Equatable {
    public var pairs: [RatingPairFigures]
    /// Votes counted (real items, raters not excluded), raters who voted, raters excluded.
    public var votes: Int
    public var raters: Int
    public var excluded: [Int]
    public var ratersPerItem: Int
    public var fleissKappa: Double?
    public var fleissItems: Int
    public var krippendorffAlpha: Double?
    public var strengths: [SystemStrength]?
    public var judge: JudgeHumanAgreement?
    /// All raters' attention checks passed, as a percentage, and the median seconds per item over all votes.
    public var attentionPassRate: Double?
    public var medianSeconds: Double?
    public var raterQuality: [RaterQuality]
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case pairs, votes, raters, excluded, strengths, judge, notes
        case ratersPerItem = "raters_per_item", fleissKappa = "fleiss_kappa", fleissItems = "fleiss_items"
        case krippendorffAlpha = "krippendorff_alpha", attentionPassRate = "attention_pass_rate", medianSeconds = "median_seconds"
        case raterQuality = "rater_quality"
    }
}

/// Building the report and the export.
public enum RatingReporting {
    /// The report of the study in `config.study`.
    public static func report(_ config: RatingReportConfig) async throws -> RatingReport {
        try config.validate()
        let snapshot = try await RatingStudy.snapshot(config.study)
        let judgments = try config.judge.map { path in
            try JSONLines.decodeAll(Judgment.self, in: URL(fileURLWithPath: path))
        }
        return report(snapshot, judgments: judgments, resamples: config.resamples, seed: config.seed ?? snapshot.settings.seed)
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        return Bootstrap.percentile(values.sorted(), 0.5)
    }

    /// The report of a snapshot.
    public static func report(_ s: RatingSnapshot, judgments: [Judgment]?, resamples: Int, seed: UInt64) -> RatingReport {
        let items = Dictionary(uniqueKeysWithValues: s.items.map { ($0.number, $0) })
        let excluded = Set(s.raters.filter(\.excluded).map(\.id))
        let counted = s.votes.filter { !excluded.contains($0.rater) && items[$0.item]?.check == nil }
        let votes = counted.map { v -> RatingVote in
            let item = items[v.item]!
            return RatingVote(item: item.id, a: item.systemA, b: item.systemB, rater: String(v.rater), choice: v.choice)
        }
        var notes: [String] = []
        // The paper's figures, per pair of systems.
        let byPair = Dictionary(grouping: RatingStatistics.units(votes), by: { [$0.unit.a, $0.unit.b] })
        let pairs = byPair.keys.sorted { $0.lexicographicallyPrecedes($1) }.enumerated().map { k, key -> RatingPairFigures in
            let units = byPair[key]!
            let majorities = units.map { RatingStatistics.majority($0.votes.map(\.choice)) }
            let values = majorities.map { $0 == .a ? 1.0 : $0 == .same ? 0.5 : 0.0 }
            let n = Double(values.count), mean = values.reduce(0, +) / n
            let share = { (c: RatingChoice) in 100 * Double(majorities.filter { $0 == c }.count) / n }
            let interval = Bootstrap.percentileIntervalOfMean(values, iterations: resamples, seed: seed &+ UInt64(k)).map {
                BootstrapInterval(lower: $0.lower, upper: $0.upper, level: 0.95, resamples: resamples)
            }
            return RatingPairFigures(
                a: key[0], b: key[1], items: units.count, completeItems: units.filter { $0.votes.count >= s.settings.ratersPerItem }.count,
                aBetter: share(.a), same: share(.same), bBetter: share(.b), aEqualOrBetter: share(.a) + share(.same),
                meanPreference: mean, standardDeviation: (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot(),
                interval: interval)
        }
        let fleiss = RatingStatistics.fleissKappa(votes, raters: s.settings.ratersPerItem)
        // Bradley–Terry, for more than two systems.
        let systems = Set(votes.flatMap { [$0.a, $0.b] })
        var strengths: [SystemStrength]?
        if systems.count > 2 {
            if let fit = RatingStatistics.bradleyTerry(votes) {
                let intervals = RatingStatistics.bradleyTerryIntervals(votes, resamples: resamples, seed: seed)
                strengths = fit.sorted { $0.value > $1.value }.map { SystemStrength(system: $0.key, strength: $0.value, interval: intervals[$0.key]) }
            } else {
                notes.append("Bradley–Terry strengths have no maximum: a system never lost or never won")
            }
        }
        // Rater quality.
        let agreement = RatingStatistics.agreementWithOthers(votes)
        var allChecks = 0, allPassed = 0
        let quality = s.raters.compactMap { r -> RaterQuality? in
            let mine = s.votes.filter { $0.rater == r.id }
            guard !mine.isEmpty else { return nil }
            let checks = mine.filter { items[$0.item]?.check != nil }
            let passed = checks.filter { $0.choice == .a }.count
            allChecks += checks.count
            allPassed += passed
            let seconds = median(mine.map(\.seconds))
            var flags: [String] = []
            if passed < checks.count { flags.append("failed \(checks.count - passed) of \(checks.count) attention checks") }
            if let seconds, seconds < s.settings.fastSeconds, s.settings.fastSeconds > 0 {
                flags.append(String(format: "median %.1f s per item (under %.1f s)", seconds, s.settings.fastSeconds))
            }
            return RaterQuality(rater: r.id, externalID: r.externalID, votes: mine.count, agreement: agreement[String(r.id)]?.agreement,
                                checks: checks.count, checksPassed: passed, medianSeconds: seconds, excluded: r.excluded, flags: flags)
        }
        let judge = judgments.flatMap { judgeAgreement(votes, judgments: $0, notes: &notes) }
        return RatingReport(
            pairs: pairs, votes: votes.count, raters: Set(counted.map(\.rater)).count, excluded: excluded.sorted(),
            ratersPerItem: s.settings.ratersPerItem, fleissKappa: fleiss.kappa, fleissItems: fleiss.units,
            krippendorffAlpha: RatingStatistics.krippendorffAlpha(votes), strengths: strengths, judge: judge,
            attentionPassRate: allChecks > 0 ? 100 * Double(allPassed) / Double(allChecks) : nil,
            medianSeconds: median(counted.map(\.seconds)), raterQuality: quality, notes: notes)
    }

    /// The judge's combined verdict per item (both orders) against the human majority, matched by item id and systems
    /// (by id alone when the judgments do not name their systems and the study has one pair).
    static func judgeAgreement(_ votes: [RatingVote], judgments: [Judgment], notes: inout [String]) -> JudgeHumanAgreement? {
        struct Key: Hashable { var id: String, a: String?, b: String? }
        var orders: [Key: (ab: Judgment.Verdict?, ba: Judgment.Verdict?)] = [:]
        for j in judgments {
            let key = Key(id: j.id, a: j.a, b: j.b)
            if j.order == .ab { orders[key, default: (nil, nil)].ab = j.verdict } else { orders[key, default: (nil, nil)].ba = j.verdict }
        }
        let units = RatingStatistics.units(votes)
        let onePair = Set(units.map { [$0.unit.a, $0.unit.b] }).count == 1
        var counts = [[Int]](repeating: [0, 0, 0], count: 3)
        var matched = 0
        for u in units {
            var verdict: Judgment.Verdict?
            if let o = orders[Key(id: u.unit.item, a: u.unit.a, b: u.unit.b)] {
                verdict = Judgment.combined(ab: o.ab, ba: o.ba)
            } else if let o = orders[Key(id: u.unit.item, a: u.unit.b, b: u.unit.a)] {
                verdict = Judgment.combined(ab: o.ab, ba: o.ba).map { $0 == .a ? .b : $0 == .b ? .a : $0 }
            } else if onePair, let o = orders[Key(id: u.unit.item, a: nil, b: nil)] {
                verdict = Judgment.combined(ab: o.ab, ba: o.ba)
            }
            guard let verdict else { continue }
            matched += 1
            let human = RatingStatistics.category(RatingStatistics.majority(u.votes.map(\.choice)))
            let machine = verdict == .a ? 0 : verdict == .tie ? 1 : 2
            counts[human][machine] += 1
        }
        guard matched > 0 else {
            notes.append("no judgment matched a rated item (by item id and systems): was the judge run on the same answer files?")
            return nil
        }
        let agree = (0..<3).reduce(0) { $0 + counts[$1][$1] }
        let decided = counts[0][0] + counts[0][2] + counts[2][0] + counts[2][2]
        return JudgeHumanAgreement(items: matched, agreement: 100 * Double(agree) / Double(matched), itemsWithoutTies: decided,
                                   agreementWithoutTies: decided > 0 ? 100 * Double(counts[0][0] + counts[2][2]) / Double(decided) : nil,
                                   counts: counts)
    }

    /// The report as text.
    public static func text(_ r: RatingReport) -> String {
        func pct(_ x: Double?) -> String { x.map { String(format: "%.1f%%", $0) } ?? "-" }
        func num(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "-" }
        var lines = ["Votes: \(r.votes) from \(r.raters) raters (\(r.ratersPerItem) per item)"
                     + (r.excluded.isEmpty ? "" : "; excluded raters: " + r.excluded.map(String.init).joined(separator: ", "))]
        lines.append("")
        lines.append("A | B | items | A better | same | B better | A equal or better | mean preference ± sd | 95% interval")
        for p in r.pairs {
            lines.append("\(p.a) | \(p.b) | \(p.items) | \(pct(p.aBetter)) | \(pct(p.same)) | \(pct(p.bBetter)) | \(pct(p.aEqualOrBetter)) | "
                         + String(format: "%.3f ± %.3f", p.meanPreference, p.standardDeviation) + " | "
                         + (p.interval.map { String(format: "%.3f–%.3f", $0.lower, $0.upper) } ?? "-"))
        }
        lines.append("")
        lines.append("Agreement: Fleiss' kappa \(num(r.fleissKappa)) (\(r.fleissItems) items with all ratings), Krippendorff's alpha \(num(r.krippendorffAlpha))")
        if let strengths = r.strengths {
            lines.append("Bradley–Terry strengths (log scale, mean 0):")
            for s in strengths {
                lines.append("  \(s.system): " + String(format: "%+.3f", s.strength)
                             + (s.interval.map { String(format: " (%+.3f to %+.3f)", $0.lower, $0.upper) } ?? ""))
            }
        }
        if let j = r.judge {
            lines.append("Judge–human agreement: \(pct(j.agreement)) of \(j.items) items with ties, \(pct(j.agreementWithoutTies)) of \(j.itemsWithoutTies) without")
        }
        lines.append("Attention checks passed: \(pct(r.attentionPassRate)); median seconds per item: " + (r.medianSeconds.map { String(format: "%.1f", $0) } ?? "-"))
        lines.append("")
        lines.append("rater | votes | agrees with others | attention | median s | flags")
        for q in r.raterQuality {
            lines.append("\(q.rater)\(q.externalID.map { " (\($0))" } ?? "")\(q.excluded ? " [excluded]" : "") | \(q.votes) | "
                         + "\(pct(q.agreement.map { $0 * 100 })) | \(q.checksPassed)/\(q.checks) | "
                         + (q.medianSeconds.map { String(format: "%.1f", $0) } ?? "-") + " | " + q.flags.joined(separator: "; "))
        }
        for note in r.notes { lines.append("note: " + note) }
        return lines.joined(separator: "\n")
    }
}

/// One vote as exported.
public struct ExportedVote: Codable, Sendable, Equatable {
    public var item: Int
    public var itemID: String
    public var systemA: String
    public var systemB: String
    public var check: String?
    public var rater: Int
    public var raterExternalID: String?
    public var raterExcluded: Bool
    public var shown: Int
    public var swapped: Bool
    public var choice: RatingChoice
    public var comment: String?
    public var seconds: Double
    public var createdAt: Double

    enum CodingKeys: String, CodingKey, CaseIterable {
        case item, check, rater, shown, swapped, choice, comment, seconds
        case itemID = "item_id", systemA = "system_a", systemB = "system_b", raterExternalID = "rater_external_id"
        case raterExcluded = "rater_excluded", createdAt = "created_at"
    }
}

extension RatingReporting {
    /// Every vote, in the order cast.
    public static func exported(_ s: RatingSnapshot) -> [ExportedVote] {
        let items = Dictionary(uniqueKeysWithValues: s.items.map { ($0.number, $0) })
        let raters = Dictionary(uniqueKeysWithValues: s.raters.map { ($0.id, $0) })
        let assignments = Dictionary(uniqueKeysWithValues: s.assignments.map { ($0.id, $0) })
        return s.votes.sorted { ($0.createdAt, $0.assignment) < ($1.createdAt, $1.assignment) }.compactMap { v in
            guard let item = items[v.item] else { return nil }
            return ExportedVote(item: v.item, itemID: item.id, systemA: item.systemA, systemB: item.systemB, check: item.check?.rawValue,
                                rater: v.rater, raterExternalID: raters[v.rater]?.externalID, raterExcluded: raters[v.rater]?.excluded ?? false,
                                shown: v.shown.rawValue, swapped: assignments[v.assignment]?.swapped ?? false, choice: v.choice,
                                comment: v.comment, seconds: v.seconds, createdAt: v.createdAt)
        }
    }

    /// `export(study:to:)` for a config.
    public static func export(_ c: RatingExportConfig) async throws -> Int {
        try c.validate()
        return try await export(study: c.study, to: c.out)
    }

    /// Writes every vote of the study to `prefix`.csv and `prefix`.jsonl (each atomically); the number of votes.
    public static func export(study: String, to prefix: String) async throws -> Int {
        let snapshot = try await RatingStudy.snapshot(study)
        let votes = exported(snapshot)
        try JSONLinesWriter.write(votes, to: URL(fileURLWithPath: prefix + ".jsonl"))
        var csv = "item,item_id,system_a,system_b,check,rater,rater_external_id,rater_excluded,shown,swapped,choice,comment,seconds,created_at\r\n"
        for v in votes {
            let fields: [String] = [String(v.item), v.itemID, v.systemA, v.systemB, v.check ?? "", String(v.rater), v.raterExternalID ?? "",
                                    String(v.raterExcluded), String(v.shown), String(v.swapped), v.choice.rawValue, v.comment ?? "",
                                    String(v.seconds), String(v.createdAt)]
            csv += fields.map(csvField).joined(separator: ",") + "\r\n"
        }
        try AtomicFile.write(Data(csv.utf8), to: prefix + ".csv")
        return votes.count
    }

    /// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes doubled; a leading
    /// `= + - @` is prefixed with `'` so a spreadsheet shows model text instead of running it as a formula.
    static func csvField(_ s: String) -> String {
        var s = s
        if let first = s.first, "=+-@".contains(first), Double(s) == nil { s = "'" + s }
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// What `mimic rate export` is configured by.
public struct RatingExportConfig: StageConfig, Hashable {
    /// The study folder.
    public var study = ""
    /// The files' path without extension (`OUT.csv`, `OUT.jsonl`).
    public var out = ""

    public init() {}

    public func validate() throws {
        try ConfigError.require(!study.isEmpty, "study", "is missing", hint: "name the study folder")
        try ConfigError.require(!out.isEmpty, "out", "is missing", hint: "give the files' path without extension")
    }
}
