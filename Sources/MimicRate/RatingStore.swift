// Where a rating study lives: one protocol, three stores (in memory for tests, SQLite for one machine, PostgreSQL for a
// shared server), one set of rules. An item is given so that it gets exactly its N ratings, a rater never gets an item
// twice, an assignment not voted on in time returns to the pool, and a vote is committed before the call returns.
import Foundation
import MimicCore

/// What a store says to a vote.
public enum VoteOutcome: Sendable, Equatable {
    /// Stored (and committed).
    case accepted(VoteRecord)
    /// No such assignment for this rater.
    case unknown
    /// The assignment already has its vote.
    case alreadyVoted
    /// The assignment timed out and its item's ratings were filled by others meanwhile.
    case expired
    /// The rater was excluded.
    case excluded
}

/// Where a rater stands: `done` items rated of about `total`.
public struct RaterProgress: Codable, Sendable, Hashable {
    public var done: Int
    public var total: Int
}

/// An item given to a rater, with what the page shows.
public struct RatingTurn: Sendable, Hashable {
    public var assignment: AssignmentRecord
    public var item: RatingItem
    public var progress: RaterProgress
}

/// A store's failure (it could not open, the study exists already, the schema is not a rating study's).
public struct RatingStoreError: Error, LocalizedError, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var errorDescription: String? { message }
}

/// A rating study's storage. Every method is one transaction.
public protocol RatingStore: Sendable {
    /// Creates the study (its tables, settings and items); throws if one is there already.
    func create(settings: RatingSettings, items: [RatingItem]) async throws
    /// The study's settings.
    func settings() async throws -> RatingSettings
    /// The rater with this token hash, made now if there is none (`externalID` records a Prolific participant).
    func rater(tokenHash: String, orCreateWith externalID: String?, now: Double) async throws -> RaterRecord
    /// The rater with this token hash, if any.
    func rater(tokenHash: String) async throws -> RaterRecord?
    /// Records that the rater read the instructions (the first time only).
    func start(rater: Int, now: Double) async throws
    /// The rater's current item, or a new one; nil when they are done (or excluded).
    func next(rater: Int, now: Double) async throws -> RatingTurn?
    /// Records a vote on the rater's assignment `publicID`.
    func vote(rater: Int, assignment publicID: String, shown: ShownChoice, comment: String?, now: Double) async throws -> VoteOutcome
    /// Excludes a rater (their votes stop counting and their items return to the pool) or takes the exclusion back;
    /// false when there is no such rater.
    func setExcluded(rater: Int, _ excluded: Bool) async throws -> Bool
    /// Everything, read at once.
    func snapshot() async throws -> RatingSnapshot
    /// Closes connections.
    func close() async
}

/// The rules every store applies, in one place.
enum RatingRules {
    /// Whether a rater who has done `done` items gets an attention check next.
    static func attentionDue(done: Int, settings: RatingSettings) -> Bool {
        settings.attentionEvery > 0 && (done + 1) % settings.attentionEvery == 0
    }

    /// Whether a rater who has rated `doneRegular` real items has reached their quota.
    static func quotaReached(doneRegular: Int, settings: RatingSettings) -> Bool {
        settings.itemsPerRater.map { doneRegular >= $0 } ?? false
    }

    /// About how many items a rater gets: their real items and the attention checks among them.
    static func progress(done: Int, settings: RatingSettings, regular: Int, checks: Int) -> RaterProgress {
        let real = min(settings.itemsPerRater ?? regular, regular)
        let attention = settings.attentionEvery > 1 ? min(checks, real / (settings.attentionEvery - 1)) : 0
        return RaterProgress(done: done, total: max(real + attention, done + 1))
    }

    /// An assignment that counts toward its item's ratings at `now`: voted, or open and not timed out.
    static func holds(_ a: AssignmentRecord, now: Double) -> Bool {
        a.state == .done || (a.state == .open && a.expiresAt > now)
    }
}

/// A store in memory, for tests: the same rules as the SQL stores, kept as arrays behind an actor.
public actor MemoryRatingStore: RatingStore {
    private var stored: RatingSettings?
    private var items: [RatingItem] = []
    private var raters: [RaterRecord] = []
    private var assignments: [AssignmentRecord] = []
    private var votes: [VoteRecord] = []

    public init() {}

    private func require() throws -> RatingSettings {
        guard let stored else { throw RatingStoreError("no rating study here; make one with mimic rate create") }
        return stored
    }

    public func create(settings: RatingSettings, items: [RatingItem]) throws {
        guard stored == nil else { throw RatingStoreError("a rating study exists here already") }
        stored = settings
        self.items = items
    }

    public func settings() throws -> RatingSettings { try require() }

    public func rater(tokenHash: String, orCreateWith externalID: String?, now: Double) throws -> RaterRecord {
        _ = try require()
        if let r = raters.first(where: { $0.tokenHash == tokenHash }) { return r }
        let r = RaterRecord(id: raters.count + 1, tokenHash: tokenHash, csrf: RatingToken.make(), externalID: externalID,
                            createdAt: now, startedAt: nil, excluded: false)
        raters.append(r)
        return r
    }

    public func rater(tokenHash: String) throws -> RaterRecord? {
        _ = try require()
        return raters.first { $0.tokenHash == tokenHash }
    }

    public func start(rater: Int, now: Double) {
        if let k = raters.firstIndex(where: { $0.id == rater }), raters[k].startedAt == nil { raters[k].startedAt = now }
    }

    private func taken(_ item: Int, now: Double, except: Int? = nil) -> Int {
        let excluded = Set(raters.filter(\.excluded).map(\.id))
        return assignments.filter { $0.item == item && $0.id != except && !excluded.contains($0.rater) && RatingRules.holds($0, now: now) }.count
    }

    public func next(rater: Int, now: Double) throws -> RatingTurn? {
        let settings = try require()
        guard let who = raters.first(where: { $0.id == rater }), !who.excluded else { return nil }
        let mine = assignments.filter { $0.rater == rater }
        let done = mine.filter { $0.state == .done }
        let doneRegular = done.filter { items[$0.item - 1].check == nil }.count
        let progress = RatingRules.progress(done: done.count, settings: settings, regular: items.filter { $0.check == nil }.count,
                                            checks: items.filter { $0.check != nil }.count)
        if let open = mine.first(where: { $0.state == .open }), let k = assignments.firstIndex(of: open) {
            if open.expiresAt > now { return RatingTurn(assignment: open, item: items[open.item - 1], progress: progress) }
            if items[open.item - 1].check != nil || taken(open.item, now: now, except: open.id) < settings.ratersPerItem {
                assignments[k].shownAt = now
                assignments[k].expiresAt = now + settings.timeoutSeconds
                return RatingTurn(assignment: assignments[k], item: items[open.item - 1], progress: progress)
            }
            assignments[k].state = .abandoned
        }
        if RatingRules.quotaReached(doneRegular: doneRegular, settings: settings) { return nil }
        let seen = Set(mine.map(\.item))
        let salt = RatingOrder.salt(seed: settings.seed, rater: rater)
        var chosen: RatingItem?
        if RatingRules.attentionDue(done: done.count, settings: settings) {
            chosen = items.filter { $0.check != nil && !seen.contains($0.number) }
                .min { (RatingOrder.rank(item: $0.number, salt: salt), $0.number) < (RatingOrder.rank(item: $1.number, salt: salt), $1.number) }
        }
        if chosen == nil {
            chosen = items.filter { $0.check == nil && !seen.contains($0.number) }
                .map { ($0, taken($0.number, now: now)) }
                .filter { $0.1 < settings.ratersPerItem }
                .min { a, b in
                    (-a.1, RatingOrder.rank(item: a.0.number, salt: salt), a.0.number)
                        < (-b.1, RatingOrder.rank(item: b.0.number, salt: salt), b.0.number)
                }?.0
        }
        guard let item = chosen else { return nil }
        let a = AssignmentRecord(id: assignments.count + 1, publicID: RatingToken.make(), rater: rater, item: item.number,
                                 swapped: RatingOrder.swapped(seed: settings.seed, rater: rater, item: item.number),
                                 shownAt: now, expiresAt: now + settings.timeoutSeconds, state: .open)
        assignments.append(a)
        return RatingTurn(assignment: a, item: item, progress: progress)
    }

    public func vote(rater: Int, assignment publicID: String, shown: ShownChoice, comment: String?, now: Double) throws -> VoteOutcome {
        let settings = try require()
        guard let k = assignments.firstIndex(where: { $0.publicID == publicID && $0.rater == rater }) else { return .unknown }
        if raters.first(where: { $0.id == rater })?.excluded ?? true { return .excluded }
        let a = assignments[k]
        switch a.state {
        case .done: return .alreadyVoted
        case .abandoned: return .expired
        case .open:
            if a.expiresAt <= now && items[a.item - 1].check == nil && taken(a.item, now: now, except: a.id) >= settings.ratersPerItem {
                assignments[k].state = .abandoned
                return .expired
            }
        }
        let v = VoteRecord(assignment: a.id, rater: rater, item: a.item, choice: shown.choice(swapped: a.swapped), shown: shown,
                           comment: comment, seconds: max(0, now - a.shownAt), createdAt: now)
        assignments[k].state = .done
        votes.append(v)
        return .accepted(v)
    }

    public func setExcluded(rater: Int, _ excluded: Bool) -> Bool {
        guard let k = raters.firstIndex(where: { $0.id == rater }) else { return false }
        raters[k].excluded = excluded
        return true
    }

    public func snapshot() throws -> RatingSnapshot {
        RatingSnapshot(settings: try require(), items: items, raters: raters, assignments: assignments,
                       votes: votes.sorted { $0.assignment < $1.assignment })
    }

    public func close() {}
}
