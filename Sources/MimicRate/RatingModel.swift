// The parts of a blind pairwise rating study: items (a prompt and two systems' answers, or an attention check whose
// right answer is known), raters, assignments (an item given to a rater, in an order drawn from the seed) and votes.
// Stores keep them, the web app shows them (never the systems' names), the report counts them.
import Foundation
import MimicCore

/// A vote in the systems' terms, once the shown order is undone: A better, B better, or the same quality.
public enum RatingChoice: String, ConfigChoice {
    case a, b, same
}

/// What a rater pressed: Output 1 better, Output 2 better, or the same quality (keys 1, 2 and 3).
public enum ShownChoice: Int, Codable, Sendable, CaseIterable {
    case first = 1, second = 2, same = 3

    /// The vote in the systems' terms, for an assignment shown in order A, B (`swapped` false) or B, A.
    public func choice(swapped: Bool) -> RatingChoice {
        switch self {
        case .same: return .same
        case .first: return swapped ? .b : .a
        case .second: return swapped ? .a : .b
        }
    }
}

/// How an attention check's second answer was broken.
public enum AttentionBreak: String, ConfigChoice {
    /// The answer cut to its first third of words.
    case truncated
    /// The answer's words in a seeded random order.
    case shuffled
}

/// One thing to rate: a prompt and two answers. An attention check holds an intact answer as A and a broken copy as
/// B, so its right choice is A.
public struct RatingItem: Codable, Sendable, Hashable {
    /// 1-based, the store's key.
    public var number: Int
    /// The item's id as `mimic judge` writes it (`meta.id`, or a hash of the prompt), for judge–human agreement.
    public var id: String
    public var prompt: String
    public var answerA: String
    public var answerB: String
    /// The systems' names (their answer files). Never sent to a rater's browser.
    public var systemA: String
    public var systemB: String
    /// Set for an attention check: how B was broken.
    public var check: AttentionBreak?

    enum CodingKeys: String, CodingKey {
        case number, id, prompt, check
        case answerA = "answer_a", answerB = "answer_b", systemA = "system_a", systemB = "system_b"
    }

    public init(number: Int, id: String, prompt: String, answerA: String, answerB: String, systemA: String, systemB: String,
                check: AttentionBreak? = nil) {
        self.number = number
        self.id = id
        self.prompt = prompt
        self.answerA = answerA
        self.answerB = answerB
        self.systemA = systemA
        self.systemB = systemB
        self.check = check
    }
}

/// What a rating study is set to: stored with it, read by the server and the report.
public struct RatingSettings: Codable, Sendable, Hashable {
    /// Seeds the shown orders, each rater's item order and the attention checks.
    public var seed: UInt64
    /// Ratings each item gets.
    public var ratersPerItem: Int
    /// The instructions, shown once before the first item (plain text; blank lines separate paragraphs).
    public var instructions: String
    /// An assignment not voted on within this many seconds returns to the pool.
    public var timeoutSeconds: Double
    /// Raters whose median seconds per item is below this are flagged in the admin view and the report.
    public var fastSeconds: Double
    /// At most this many real items per rater (nil: as many as the pool has for them).
    public var itemsPerRater: Int?
    /// An attention check is given as every `attentionEvery`-th item (0: none).
    public var attentionEvery: Int
    /// Shown on the completion page (for Prolific or MTurk).
    public var completionCode: String
    /// Whether `/p?PROLIFIC_PID=…` makes a rater.
    public var prolific: Bool
    /// SHA-256 of the admin token.
    public var adminTokenHash: String
    /// A random secret that never leaves the store: a Prolific participant's token is derived from it.
    public var secret: String

    enum CodingKeys: String, CodingKey {
        case seed, instructions, prolific, secret
        case ratersPerItem = "raters_per_item", timeoutSeconds = "timeout_seconds", fastSeconds = "fast_seconds"
        case itemsPerRater = "items_per_rater", attentionEvery = "attention_every", completionCode = "completion_code"
        case adminTokenHash = "admin_token_hash"
    }

    public init(seed: UInt64, ratersPerItem: Int, instructions: String, timeoutSeconds: Double, fastSeconds: Double,
                itemsPerRater: Int?, attentionEvery: Int, completionCode: String, prolific: Bool, adminTokenHash: String,
                secret: String) {
        self.seed = seed
        self.ratersPerItem = ratersPerItem
        self.instructions = instructions
        self.timeoutSeconds = timeoutSeconds
        self.fastSeconds = fastSeconds
        self.itemsPerRater = itemsPerRater
        self.attentionEvery = attentionEvery
        self.completionCode = completionCode
        self.prolific = prolific
        self.adminTokenHash = adminTokenHash
        self.secret = secret
    }

    /// The token of the rater who arrives as Prolific participant `pid` (the same on every visit).
    public func participantToken(_ pid: String) -> String { String(SHA256.hex(Data("\(secret):prolific:\(pid)".utf8)).prefix(32)) }
}

/// A rater as stored.
public struct RaterRecord: Codable, Sendable, Hashable {
    public var id: Int
    /// SHA-256 of the rater's token (the token itself is only in their link).
    public var tokenHash: String
    /// The value each of the rater's forms must carry.
    public var csrf: String
    /// A Prolific participant id, for a rater who came that way.
    public var externalID: String?
    public var createdAt: Double
    /// When they read the instructions and began (nil: not yet).
    public var startedAt: Double?
    public var excluded: Bool

    enum CodingKeys: String, CodingKey {
        case id, csrf, excluded
        case tokenHash = "token_hash", externalID = "external_id", createdAt = "created_at", startedAt = "started_at"
    }

    public init(id: Int, tokenHash: String, csrf: String, externalID: String?, createdAt: Double, startedAt: Double?, excluded: Bool) {
        self.id = id
        self.tokenHash = tokenHash
        self.csrf = csrf
        self.externalID = externalID
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.excluded = excluded
    }
}

/// An item given to a rater.
public struct AssignmentRecord: Codable, Sendable, Hashable {
    public enum State: String, ConfigChoice {
        /// Waiting for the rater's vote.
        case open
        /// Voted on.
        case done
        /// Timed out and given to someone else.
        case abandoned
    }

    public var id: Int
    /// The assignment's name in the rater's page and form (random: it tells nothing about the item).
    public var publicID: String
    public var rater: Int
    public var item: Int
    /// Shown B first.
    public var swapped: Bool
    /// When it was last shown (the vote's seconds count from here) and when it times out.
    public var shownAt: Double
    public var expiresAt: Double
    public var state: State

    enum CodingKeys: String, CodingKey {
        case id, rater, item, swapped, state
        case publicID = "public_id", shownAt = "shown_at", expiresAt = "expires_at"
    }

    public init(id: Int, publicID: String, rater: Int, item: Int, swapped: Bool, shownAt: Double, expiresAt: Double, state: State) {
        self.id = id
        self.publicID = publicID
        self.rater = rater
        self.item = item
        self.swapped = swapped
        self.shownAt = shownAt
        self.expiresAt = expiresAt
        self.state = state
    }
}

/// A vote as stored: what was pressed, what it means for the systems, and how long the rater took.
public struct VoteRecord: Codable, Sendable, Hashable {
    public var assignment: Int
    public var rater: Int
    public var item: Int
    public var choice: RatingChoice
    public var shown: ShownChoice
    public var comment: String?
    public var seconds: Double
    public var createdAt: Double

    enum CodingKeys: String, CodingKey {
        case assignment, rater, item, choice, shown, comment, seconds
        case createdAt = "created_at"
    }

    public init(assignment: Int, rater: Int, item: Int, choice: RatingChoice, shown: ShownChoice, comment: String?,
                seconds: Double, createdAt: Double) {
        self.assignment = assignment
        self.rater = rater
        self.item = item
        self.choice = choice
        self.shown = shown
        self.comment = comment
        self.seconds = seconds
        self.createdAt = createdAt
    }
}

/// Everything a store holds, read at once (for the report, the admin view and the export).
public struct RatingSnapshot: Codable, Sendable, Hashable {
    public var settings: RatingSettings
    public var items: [RatingItem]
    public var raters: [RaterRecord]
    public var assignments: [AssignmentRecord]
    /// Ordered by assignment (every store gives them in this order).
    public var votes: [VoteRecord]

    public init(settings: RatingSettings, items: [RatingItem], raters: [RaterRecord], assignments: [AssignmentRecord],
                votes: [VoteRecord]) {
        self.settings = settings
        self.items = items
        self.raters = raters
        self.assignments = assignments
        self.votes = votes
    }
}

/// Secrets: tokens for links and forms, and their stored hashes.
public enum RatingToken {
    /// 128 random bits from the system's secure generator, as 32 hex digits.
    public static func make() -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<2).map { _ in String(format: "%016llx", rng.next() as UInt64) }.joined()
    }

    /// The SHA-256 a token is stored as.
    public static func hash(_ token: String) -> String { SHA256.hex(Data(token.utf8)) }

    /// Whether `text` looks like a token (32 lowercase hex digits): anything else is refused before any lookup.
    public static func isWellFormed(_ text: Substring) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// The order things are offered in, drawn from the seed (the same in every store).
public enum RatingOrder {
    /// Whether `rater` sees `item` with B first.
    public static func swapped(seed: UInt64, rater: Int, item: Int) -> Bool {
        var rng = SplitMix64(seed: seed, stream: UInt64(rater) << 32 | UInt64(item))
        return rng.next() & 1 == 1
    }

    /// The per-rater salt of `rank`.
    public static func salt(seed: UInt64, rater: Int) -> Int {
        Int(SplitMix64.mix(seed ^ (UInt64(rater) &* 0x9E37_79B9_7F4A_7C15)) % 1_000_003)
    }

    /// An item's place in a rater's order (lower first); the SQL stores compute the same expression.
    public static func rank(item: Int, salt: Int) -> Int { (item * 2_654_435_761 + salt) % 1_000_003 }

    /// The SQL of `rank` for the item id column `column` and one bound salt.
    static func rankSQL(_ column: String) -> String { "((\(column) * 2654435761 + ?) % 1000003)" }

    /// The SQL of an item's position, the part of `rank` that is the same for every rater (an index can hold it):
    /// `rank` is the position turned round by the salt, so a rater's order is the positions from `cut(salt:)` up,
    /// then those below it, each run in ascending order.
    static func positionSQL(_ column: String) -> String { "((\(column) * 2654435761) % 1000003)" }

    /// The position at which a rater's order starts (see `positionSQL`): rank = position + salt - 1000003 at and
    /// above it, position + salt below it.
    static func cut(salt: Int) -> Int { 1_000_003 - salt }
}
