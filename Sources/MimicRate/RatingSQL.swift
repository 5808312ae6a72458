// The SQL stores' one implementation of the rules: the tables, the statements and the steps of each operation,
// written once against a session that SQLite (GRDB) and PostgreSQL (postgres-nio) each provide. Placeholders are
// written `?` (PostgreSQL's session numbers them) and table names `{p}name` (PostgreSQL puts them in the study's schema).
import Foundation
import MimicCore

/// A value bound to, or read from, a statement.
enum SQLValue: Sendable, Hashable {
    case int(Int)
    case double(Double)
    case text(String)
    case null

    var int: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d): return Int(d)
        default: return nil
        }
    }

    var double: Double? {
        switch self {
        case .double(let d): return d
        case .int(let i): return Double(i)
        default: return nil
        }
    }

    var text: String? { if case .text(let s) = self { return s } else { return nil } }

    static func optional(_ s: String?) -> SQLValue { s.map(SQLValue.text) ?? .null }
    static func optional(_ d: Double?) -> SQLValue { d.map(SQLValue.double) ?? .null }
}

/// One transaction's connection, as the shared steps use it.
protocol RatingSQLSession {
    /// The rows of a query, each a list of values in column order.
    func rows(_ sql: String, _ args: [SQLValue]) async throws -> [[SQLValue]]
    /// Runs a statement.
    func run(_ sql: String, _ args: [SQLValue]) async throws
}

/// The statements and steps, for tables named with `prefix`.
struct RatingSQL: Sendable {
    /// Put before each table name (`""` for SQLite, `"schema".` for PostgreSQL).
    let prefix: String
    /// The column type of a generated integer key.
    let keyType: String

    func sql(_ text: String) -> String { text.replacingOccurrences(of: "{p}", with: prefix) }

    var schema: [String] {
        [
            "CREATE TABLE {p}settings (id INTEGER PRIMARY KEY, json TEXT NOT NULL)",
            """
            CREATE TABLE {p}items (id BIGINT PRIMARY KEY, item_key TEXT NOT NULL, prompt TEXT NOT NULL, answer_a TEXT NOT NULL,
                answer_b TEXT NOT NULL, system_a TEXT NOT NULL, system_b TEXT NOT NULL, check_kind TEXT,
                filled INTEGER NOT NULL DEFAULT 0, held INTEGER NOT NULL DEFAULT 0)
            """,
            """
            CREATE TABLE {p}raters (id \(keyType), token_hash TEXT NOT NULL UNIQUE, csrf TEXT NOT NULL, external_id TEXT,
                created_at DOUBLE PRECISION NOT NULL, started_at DOUBLE PRECISION, excluded INTEGER NOT NULL DEFAULT 0)
            """,
            """
            CREATE TABLE {p}assignments (id \(keyType), public_id TEXT NOT NULL UNIQUE, rater_id BIGINT NOT NULL REFERENCES {p}raters (id),
                item_id BIGINT NOT NULL REFERENCES {p}items (id), swapped INTEGER NOT NULL, shown_at DOUBLE PRECISION NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL, state TEXT NOT NULL, UNIQUE (rater_id, item_id))
            """,
            "CREATE INDEX {p_}assignments_item ON {p}assignments (item_id, state)",
            "CREATE INDEX {p_}assignments_open ON {p}assignments (state, expires_at)",
            "CREATE INDEX {p_}assignments_rater ON {p}assignments (rater_id, state)",
            """
            CREATE TABLE {p}votes (assignment_id BIGINT PRIMARY KEY REFERENCES {p}assignments (id), rater_id BIGINT NOT NULL,
                item_id BIGINT NOT NULL, choice TEXT NOT NULL, shown INTEGER NOT NULL, comment TEXT, seconds DOUBLE PRECISION NOT NULL,
                created_at DOUBLE PRECISION NOT NULL)
            """,
        ].map { sql($0).replacingOccurrences(of: "{p_}", with: "") }
    }

    static let raterColumns = "id, token_hash, csrf, external_id, created_at, started_at, excluded"
    static let assignmentColumns = "id, public_id, rater_id, item_id, swapped, shown_at, expires_at, state"
    static let itemColumns = "id, item_key, prompt, answer_a, answer_b, system_a, system_b, check_kind"
    static let voteColumns = "assignment_id, rater_id, item_id, choice, shown, comment, seconds, created_at"

    static func rater(_ r: [SQLValue]) throws -> RaterRecord {
        RaterRecord(id: try r[0].int.required("raters.id"), tokenHash: try r[1].text.required("raters.token_hash"),
                    csrf: try r[2].text.required("raters.csrf"), externalID: r[3].text, createdAt: r[4].double ?? 0,
                    startedAt: r[5].double, excluded: (r[6].int ?? 0) != 0)
    }

    static func assignment(_ r: [SQLValue]) throws -> AssignmentRecord {
        AssignmentRecord(id: try r[0].int.required("assignments.id"), publicID: try r[1].text.required("assignments.public_id"),
                         rater: try r[2].int.required("assignments.rater_id"), item: try r[3].int.required("assignments.item_id"),
                         swapped: (r[4].int ?? 0) != 0, shownAt: r[5].double ?? 0, expiresAt: r[6].double ?? 0,
                         state: try AssignmentRecord.State(rawValue: r[7].text ?? "").required("assignments.state"))
    }

    static func item(_ r: [SQLValue]) throws -> RatingItem {
        RatingItem(number: try r[0].int.required("items.id"), id: r[1].text ?? "", prompt: r[2].text ?? "", answerA: r[3].text ?? "",
                   answerB: r[4].text ?? "", systemA: r[5].text ?? "", systemB: r[6].text ?? "",
                   check: r[7].text.flatMap(AttentionBreak.init(rawValue:)))
    }

    static func vote(_ r: [SQLValue]) throws -> VoteRecord {
        VoteRecord(assignment: try r[0].int.required("votes.assignment_id"), rater: try r[1].int.required("votes.rater_id"),
                   item: try r[2].int.required("votes.item_id"), choice: try RatingChoice(rawValue: r[3].text ?? "").required("votes.choice"),
                   shown: try ShownChoice(rawValue: r[4].int ?? 0).required("votes.shown"), comment: r[5].text,
                   seconds: r[6].double ?? 0, createdAt: r[7].double ?? 0)
    }

    // MARK: operations

    func create(_ s: RatingSQLSession, settings: RatingSettings, items: [RatingItem]) async throws {
        for statement in schema { try await s.run(statement, []) }
        try await s.run(sql("INSERT INTO {p}settings (id, json) VALUES (1, ?)"),
                        [.text(String(decoding: try JSONEncoder().encode(settings), as: UTF8.self))])
        for chunk in stride(from: 0, to: items.count, by: 100) {
            let part = items[chunk..<min(chunk + 100, items.count)]
            let values = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?)", count: part.count).joined(separator: ", ")
            try await s.run(sql("INSERT INTO {p}items (\(Self.itemColumns)) VALUES \(values)"), part.flatMap { i -> [SQLValue] in
                [.int(i.number), .text(i.id), .text(i.prompt), .text(i.answerA), .text(i.answerB), .text(i.systemA), .text(i.systemB),
                 .optional(i.check?.rawValue)]
            })
        }
    }

    func settings(_ s: RatingSQLSession) async throws -> RatingSettings {
        guard let json = try await s.rows(sql("SELECT json FROM {p}settings WHERE id = 1"), []).first?.first?.text else {
            throw RatingStoreError("the rating study's settings are missing")
        }
        return try JSONDecoder().decode(RatingSettings.self, from: Data(json.utf8))
    }

    /// The real items and the attention checks, counted.
    func itemCounts(_ s: RatingSQLSession) async throws -> (regular: Int, checks: Int) {
        let row = try await s.rows(sql("""
            SELECT COUNT(*) FILTER (WHERE check_kind IS NULL), COUNT(*) FILTER (WHERE check_kind IS NOT NULL) FROM {p}items
            """), []).first
        return (row?[0].int ?? 0, row?[1].int ?? 0)
    }

    func rater(_ s: RatingSQLSession, tokenHash: String) async throws -> RaterRecord? {
        try await s.rows(sql("SELECT \(Self.raterColumns) FROM {p}raters WHERE token_hash = ?"), [.text(tokenHash)]).first.map(Self.rater)
    }

    func rater(_ s: RatingSQLSession, id: Int) async throws -> RaterRecord? {
        try await s.rows(sql("SELECT \(Self.raterColumns) FROM {p}raters WHERE id = ?"), [.int(id)]).first.map(Self.rater)
    }

    func raterOrCreate(_ s: RatingSQLSession, tokenHash: String, externalID: String?, now: Double) async throws -> RaterRecord {
        try await s.run(sql("""
            INSERT INTO {p}raters (token_hash, csrf, external_id, created_at, excluded) VALUES (?, ?, ?, ?, 0)
            ON CONFLICT (token_hash) DO NOTHING
            """), [.text(tokenHash), .text(RatingToken.make()), .optional(externalID), .double(now)])
        guard let r = try await rater(s, tokenHash: tokenHash) else { throw RatingStoreError("the rater just stored is missing") }
        return r
    }

    func start(_ s: RatingSQLSession, rater: Int, now: Double) async throws {
        try await s.run(sql("UPDATE {p}raters SET started_at = ? WHERE id = ? AND started_at IS NULL"), [.double(now), .int(rater)])
    }

    /// Ratings that count toward an item at `now`, leaving out assignment `except`.
    func taken(_ s: RatingSQLSession, item: Int, except: Int, now: Double) async throws -> Int {
        try await s.rows(sql("""
            SELECT COUNT(*) FROM {p}assignments a JOIN {p}raters r ON r.id = a.rater_id
            WHERE a.item_id = ? AND a.id <> ? AND r.excluded = 0 AND (a.state = 'done' OR (a.state = 'open' AND a.expires_at > ?))
            """), [.int(item), .int(except), .double(now)]).first?.first?.int ?? 0
    }

    /// Marks an open assignment abandoned and gives its place back.
    func abandon(_ s: RatingSQLSession, _ a: AssignmentRecord) async throws {
        try await s.run(sql("UPDATE {p}assignments SET state = 'abandoned' WHERE id = ?"), [.int(a.id)])
        try await s.run(sql("UPDATE {p}items SET held = held - 1 WHERE id = ?"), [.int(a.item)])
    }

    func item(_ s: RatingSQLSession, _ id: Int) async throws -> RatingItem {
        guard let row = try await s.rows(sql("SELECT \(Self.itemColumns) FROM {p}items WHERE id = ?"), [.int(id)]).first else {
            throw RatingStoreError("item \(id) is missing")
        }
        return try Self.item(row)
    }

    func next(_ s: RatingSQLSession, settings: RatingSettings, counts: (regular: Int, checks: Int), rater: Int,
              now: Double) async throws -> RatingTurn? {
        guard let who = try await self.rater(s, id: rater), !who.excluded else { return nil }
        let doneRow = try await s.rows(sql("""
            SELECT COUNT(*), COUNT(*) FILTER (WHERE i.check_kind IS NULL) FROM {p}assignments a JOIN {p}items i ON i.id = a.item_id
            WHERE a.rater_id = ? AND a.state = 'done'
            """), [.int(rater)]).first
        let done = doneRow?[0].int ?? 0, doneRegular = doneRow?[1].int ?? 0
        let progress = RatingRules.progress(done: done, settings: settings, regular: counts.regular, checks: counts.checks)
        if let row = try await s.rows(sql("SELECT \(Self.assignmentColumns) FROM {p}assignments WHERE rater_id = ? AND state = 'open'"),
                                      [.int(rater)]).first {
            var open = try Self.assignment(row)
            let item = try await self.item(s, open.item)
            if open.expiresAt > now { return RatingTurn(assignment: open, item: item, progress: progress) }
            let room = item.check != nil ? true : (try await taken(s, item: open.item, except: open.id, now: now)) < settings.ratersPerItem
            if room {
                open.shownAt = now
                open.expiresAt = now + settings.timeoutSeconds
                try await s.run(sql("UPDATE {p}assignments SET shown_at = ?, expires_at = ? WHERE id = ?"),
                                [.double(open.shownAt), .double(open.expiresAt), .int(open.id)])
                return RatingTurn(assignment: open, item: item, progress: progress)
            }
            try await abandon(s, open)
        }
        if RatingRules.quotaReached(doneRegular: doneRegular, settings: settings) { return nil }
        let salt = SQLValue.int(RatingOrder.salt(seed: settings.seed, rater: rater))
        let unseen = "NOT EXISTS (SELECT 1 FROM {p}assignments s WHERE s.item_id = i.id AND s.rater_id = ?)"
        var chosen: Int?
        if RatingRules.attentionDue(done: done, settings: settings) {
            chosen = try await s.rows(sql("""
                SELECT i.id FROM {p}items i WHERE i.check_kind IS NOT NULL AND \(unseen)
                ORDER BY \(RatingOrder.rankSQL("i.id")), i.id LIMIT 1
                """), [.int(rater), salt]).first?.first?.int
        }
        if chosen == nil {
            // Ratings an item holds: its counters, less its open assignments that have timed out (few; by index).
            chosen = try await s.rows(sql("""
                SELECT i.id, i.filled + i.held - COALESCE(e.n, 0) AS taken FROM {p}items i
                LEFT JOIN (SELECT a.item_id AS item_id, COUNT(*) AS n FROM {p}assignments a JOIN {p}raters r ON r.id = a.rater_id
                           WHERE a.state = 'open' AND a.expires_at <= ? AND r.excluded = 0 GROUP BY a.item_id) e ON e.item_id = i.id
                WHERE i.check_kind IS NULL AND i.filled + i.held - COALESCE(e.n, 0) < ? AND \(unseen)
                ORDER BY taken DESC, \(RatingOrder.rankSQL("i.id")), i.id LIMIT 1
                """), [.double(now), .int(settings.ratersPerItem), .int(rater), salt]).first?.first?.int
        }
        guard let itemID = chosen else { return nil }
        try await s.run(sql("UPDATE {p}items SET held = held + 1 WHERE id = ?"), [.int(itemID)])
        let publicID = RatingToken.make()
        let swapped = RatingOrder.swapped(seed: settings.seed, rater: rater, item: itemID)
        let rows = try await s.rows(sql("""
            INSERT INTO {p}assignments (public_id, rater_id, item_id, swapped, shown_at, expires_at, state)
            VALUES (?, ?, ?, ?, ?, ?, 'open') RETURNING id
            """), [.text(publicID), .int(rater), .int(itemID), .int(swapped ? 1 : 0), .double(now), .double(now + settings.timeoutSeconds)])
        let assignment = AssignmentRecord(id: try rows.first?.first?.int.required("assignments.id") ?? 0, publicID: publicID,
                                          rater: rater, item: itemID, swapped: swapped, shownAt: now,
                                          expiresAt: now + settings.timeoutSeconds, state: .open)
        return RatingTurn(assignment: assignment, item: try await item(s, itemID), progress: progress)
    }

    func vote(_ s: RatingSQLSession, settings: RatingSettings, rater: Int, publicID: String, shown: ShownChoice, comment: String?,
              now: Double) async throws -> VoteOutcome {
        guard let row = try await s.rows(sql("SELECT \(Self.assignmentColumns) FROM {p}assignments WHERE public_id = ? AND rater_id = ?"),
                                         [.text(publicID), .int(rater)]).first else { return .unknown }
        let a = try Self.assignment(row)
        if try await self.rater(s, id: rater)?.excluded ?? true { return .excluded }
        switch a.state {
        case .done: return .alreadyVoted
        case .abandoned: return .expired
        case .open:
            if a.expiresAt <= now, try await item(s, a.item).check == nil,
               try await taken(s, item: a.item, except: a.id, now: now) >= settings.ratersPerItem {
                try await abandon(s, a)
                return .expired
            }
        }
        let v = VoteRecord(assignment: a.id, rater: rater, item: a.item, choice: shown.choice(swapped: a.swapped), shown: shown,
                           comment: comment, seconds: max(0, now - a.shownAt), createdAt: now)
        try await s.run(sql("UPDATE {p}assignments SET state = 'done' WHERE id = ?"), [.int(a.id)])
        try await s.run(sql("UPDATE {p}items SET held = held - 1, filled = filled + 1 WHERE id = ?"), [.int(a.item)])
        try await s.run(sql("INSERT INTO {p}votes (\(Self.voteColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
                        [.int(v.assignment), .int(v.rater), .int(v.item), .text(v.choice.rawValue), .int(v.shown.rawValue),
                         .optional(v.comment), .double(v.seconds), .double(v.createdAt)])
        return .accepted(v)
    }

    func setExcluded(_ s: RatingSQLSession, rater: Int, _ excluded: Bool) async throws -> Bool {
        guard try await self.rater(s, id: rater) != nil else { return false }
        try await s.run(sql("UPDATE {p}raters SET excluded = ? WHERE id = ?"), [.int(excluded ? 1 : 0), .int(rater)])
        // The counters of the rater's items, recounted without (or with) them.
        try await s.run(sql("""
            UPDATE {p}items SET
                filled = (SELECT COUNT(*) FROM {p}assignments a JOIN {p}raters r ON r.id = a.rater_id
                          WHERE a.item_id = {p}items.id AND a.state = 'done' AND r.excluded = 0),
                held = (SELECT COUNT(*) FROM {p}assignments a JOIN {p}raters r ON r.id = a.rater_id
                        WHERE a.item_id = {p}items.id AND a.state = 'open' AND r.excluded = 0)
            WHERE id IN (SELECT item_id FROM {p}assignments WHERE rater_id = ?)
            """), [.int(rater)])
        return true
    }

    func snapshot(_ s: RatingSQLSession) async throws -> RatingSnapshot {
        RatingSnapshot(
            settings: try await settings(s),
            items: try await s.rows(sql("SELECT \(Self.itemColumns) FROM {p}items ORDER BY id"), []).map(Self.item),
            raters: try await s.rows(sql("SELECT \(Self.raterColumns) FROM {p}raters ORDER BY id"), []).map(Self.rater),
            assignments: try await s.rows(sql("SELECT \(Self.assignmentColumns) FROM {p}assignments ORDER BY id"), []).map(Self.assignment),
            votes: try await s.rows(sql("SELECT \(Self.voteColumns) FROM {p}votes ORDER BY assignment_id"), []).map(Self.vote))
    }
}

extension Optional {
    /// The value, or a store error naming the column that should have held it.
    func required(_ column: String) throws -> Wrapped {
        guard let self else { throw RatingStoreError("the store's \(column) holds a value Mimic cannot read") }
        return self
    }
}
