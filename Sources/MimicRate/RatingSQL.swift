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
}

/// One transaction's connection, as the shared steps use it.
protocol RatingSQLSession {
    /// The rows of a query, each a list of values in column order.
    func rows(_ sql: String, _ args: [SQLValue]) async throws -> [[SQLValue]]
    /// Runs a statement.
    func run(_ sql: String, _ args: [SQLValue]) async throws
    /// Makes the rest of this transaction the only one of its kind in the study at a time, for the rare operations
    /// that recount (an exclusion): PostgreSQL takes the study's advisory lock; SQLite's transactions are one at a
    /// time already.
    func exclusive() async throws
}

/// A map filled as it is used, safe across tasks: items (they never change once a study is made, so each is read from
/// the store once per process) and statements' texts (each rewritten for its store once).
final class MemoCache<Key: Hashable, Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Key: Value] = [:]

    subscript(key: Key) -> Value? {
        get { lock.withLock { values[key] } }
        set { lock.withLock { values[key] = newValue } }
    }

    /// The value of `key`, made by `make` the first time.
    func value(_ key: Key, _ make: (Key) -> Value) -> Value {
        if let v = self[key] { return v }
        let v = make(key)
        self[key] = v
        return v
    }
}

/// Facts of a study that never change once it is made.
struct RatingFacts: Sendable {
    var settings: RatingSettings
    var counts: (regular: Int, checks: Int)
}

/// The statements and steps, for tables named with `prefix`.
///
/// How the SQL stores keep a request cheap (the memory store computes the same rules directly):
/// - an item's ratings are two counters in a narrow `slots` table: `filled` (votes of raters not excluded) and `held`
///   (open assignments of raters not excluded that have not been released), so the ratings an item holds are
///   `filled + held` and choosing the next item reads only that table;
/// - an open assignment whose time is up is *released* (`released = 1`, `held` less one) by the next `next` of any
///   rater; it stays the rater's until someone else fills its item, as the rules say, and is held again if the rater
///   comes back while there is room;
/// - items are cached after their first read.
///
/// How several servers (PostgreSQL) share a study without a study-wide lock: a place is held only by an update whose
/// condition (`filled + held < N`) is checked on the row as the update writes it, so two servers cannot both take an
/// item's last place; a vote takes its assignment by an update that finds it still open, held, in time and its rater
/// not excluded; a next item first takes the rater's row, so it and an exclusion of that rater wait for each other.
/// Rows are taken raters, then assignments, then slots; where two operations still wait on each other, PostgreSQL
/// ends one and the store runs it again.
struct RatingSQL: Sendable {
    /// Put before each table name (`""` for SQLite, `"schema".` for PostgreSQL).
    let prefix: String
    /// The column type of a generated integer key.
    let keyType: String
    /// The column type of an integer key the store assigns.
    let plainKeyType: String
    /// Which server's SQL: PostgreSQL gets statements SQLite cannot run (see `Dialect`).
    var dialect = Dialect.sqlite

    /// What differs between the two servers. On PostgreSQL, many servers' transactions run at once, so the usual vote
    /// and the usual next item are each made one statement that is its own transaction (fewer trips to the server,
    /// rows held for less time), and the next item is picked `FOR UPDATE SKIP LOCKED`, so that raters asking at once
    /// are spread over the candidates instead of queueing for the one row all of them would pick. SQLite runs one
    /// transaction at a time in-process and has neither data-modifying `WITH` nor row locks.
    enum Dialect: Sendable { case sqlite, postgres }

    /// Put after the query that picks the next item to hold.
    var skipLocked: String { dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : "" }
    let cache = MemoCache<Int, RatingItem>()
    private let known = MemoCache<Int, RatingFacts>()
    private let texts = MemoCache<String, String>()

    func sql(_ text: String) -> String { texts.value(text) { $0.replacingOccurrences(of: "{p}", with: prefix) } }

    var schema: [String] {
        [
            "CREATE TABLE {p}settings (id INTEGER PRIMARY KEY, json TEXT NOT NULL)",
            """
            CREATE TABLE {p}items (id \(plainKeyType), item_key TEXT NOT NULL, prompt TEXT NOT NULL, answer_a TEXT NOT NULL,
                answer_b TEXT NOT NULL, system_a TEXT NOT NULL, system_b TEXT NOT NULL, check_kind TEXT)
            """,
            """
            CREATE TABLE {p}slots (item_id \(plainKeyType) REFERENCES {p}items (id), regular INTEGER NOT NULL,
                filled INTEGER NOT NULL DEFAULT 0, held INTEGER NOT NULL DEFAULT 0)
            """,
            "CREATE INDEX {p_}slots_load ON {p}slots (regular, (filled + held), \(RatingOrder.positionSQL("item_id")))",
            """
            CREATE TABLE {p}raters (id \(keyType), token_hash TEXT NOT NULL UNIQUE, csrf TEXT NOT NULL, external_id TEXT,
                created_at DOUBLE PRECISION NOT NULL, started_at DOUBLE PRECISION, excluded INTEGER NOT NULL DEFAULT 0)
            """,
            """
            CREATE TABLE {p}assignments (id \(keyType), public_id TEXT NOT NULL UNIQUE, rater_id BIGINT NOT NULL REFERENCES {p}raters (id),
                item_id BIGINT NOT NULL REFERENCES {p}items (id), swapped INTEGER NOT NULL, shown_at DOUBLE PRECISION NOT NULL,
                expires_at DOUBLE PRECISION NOT NULL, state TEXT NOT NULL, released INTEGER NOT NULL DEFAULT 0, UNIQUE (rater_id, item_id))
            """,
            "CREATE INDEX {p_}assignments_item ON {p}assignments (item_id, state)",
            "CREATE INDEX {p_}assignments_open ON {p}assignments (state, released, expires_at)",
            "CREATE INDEX {p_}assignments_rater ON {p}assignments (rater_id, state)",
            """
            CREATE TABLE {p}votes (assignment_id BIGINT PRIMARY KEY REFERENCES {p}assignments (id), rater_id BIGINT NOT NULL,
                item_id BIGINT NOT NULL, choice TEXT NOT NULL, shown INTEGER NOT NULL, comment TEXT, seconds DOUBLE PRECISION NOT NULL,
                created_at DOUBLE PRECISION NOT NULL)
            """,
        ].map { sql($0).replacingOccurrences(of: "{p_}", with: "") } + (dialect == .postgres ? Self.orderFunctions.map(sql) : [])
    }

    /// `RatingOrder.swapped` in PostgreSQL's SQL, so that one statement can store a new assignment's order: SplitMix64
    /// on 64-bit integers, whose wrapping products are taken through `numeric`. The store tests hold it to the Swift
    /// function (every vote's choice depends on it).
    static let orderFunctions = [
        """
        CREATE FUNCTION {p}mimic_wrap(n numeric) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
            SELECT CASE WHEN m >= 9223372036854775808 THEN (m - 18446744073709551616)::bigint ELSE m::bigint END
            FROM (SELECT ((n % 18446744073709551616) + 18446744073709551616) % 18446744073709551616 AS m) t $$
        """,
        """
        CREATE FUNCTION {p}mimic_mix(z bigint) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
        BEGIN
            z := {p}mimic_wrap((z # ((z >> 30) & 17179869183))::numeric * 13787848793156543929);
            z := {p}mimic_wrap((z # ((z >> 27) & 137438953471))::numeric * 10723151780598845931);
            RETURN z # ((z >> 31) & 8589934591);
        END $$
        """,
        """
        CREATE FUNCTION {p}mimic_swapped(seed bigint, rater bigint, item bigint) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$
        DECLARE s bigint;
        BEGIN
            s := {p}mimic_mix(seed # {p}mimic_mix({p}mimic_wrap(((rater << 32) | item)::numeric + 7146057691288625177)));
            RETURN ({p}mimic_mix({p}mimic_wrap(s::numeric + 11400714819323198485)) & 1)::integer;
        END $$
        """,
        // The first real item with room in `regularCandidates`' order, locked (`FOR UPDATE SKIP LOCKED`), or null. The
        // order (the most rated first, then the rater's) cannot be indexed as one key, since the rater's part differs
        // per rater, so a single query sorts every item with room on each request; this walks the levels of
        // `filled + held` from the top and, in each, the two runs of positions the rater's order is made of
        // (`RatingOrder.positionSQL`), each one step down the `slots_load` index. Null too when the rater has an open
        // assignment or other than `done` done ones: checked here, after the calling statement has taken the rater's
        // row, because a second request of the same rater waits for the first's lock, and the statement's own view
        // is from before that wait while this function's queries see what the first wrote.
        """
        CREATE FUNCTION {p}mimic_next_slot(rater bigint, per_item bigint, cut bigint, done bigint) RETURNS bigint
        LANGUAGE plpgsql VOLATILE AS $$
        DECLARE chosen bigint;
        BEGIN
            IF EXISTS (SELECT 1 FROM {p}assignments a WHERE a.rater_id = rater AND a.state = 'open')
                OR (SELECT COUNT(*) FROM {p}assignments a WHERE a.rater_id = rater AND a.state = 'done') <> done THEN
                RETURN NULL;
            END IF;
            FOR level IN REVERSE per_item - 1..0 LOOP
                SELECT s.item_id INTO chosen FROM {p}slots s
                WHERE s.regular = 1 AND s.filled + s.held = level AND \(RatingOrder.positionSQL("s.item_id")) >= cut
                    AND s.item_id NOT IN (SELECT a.item_id FROM {p}assignments a WHERE a.rater_id = rater)
                ORDER BY \(RatingOrder.positionSQL("s.item_id")), s.item_id LIMIT 1 FOR UPDATE SKIP LOCKED;
                IF chosen IS NOT NULL THEN RETURN chosen; END IF;
                SELECT s.item_id INTO chosen FROM {p}slots s
                WHERE s.regular = 1 AND s.filled + s.held = level AND \(RatingOrder.positionSQL("s.item_id")) < cut
                    AND s.item_id NOT IN (SELECT a.item_id FROM {p}assignments a WHERE a.rater_id = rater)
                ORDER BY \(RatingOrder.positionSQL("s.item_id")), s.item_id LIMIT 1 FOR UPDATE SKIP LOCKED;
                IF chosen IS NOT NULL THEN RETURN chosen; END IF;
            END LOOP;
            RETURN NULL;
        END $$
        """,
    ]

    static let raterColumns = "id, token_hash, csrf, external_id, created_at, started_at, excluded"
    static let assignmentColumns = "id, public_id, rater_id, item_id, swapped, shown_at, expires_at, state"
    static let itemColumns = "id, item_key, prompt, answer_a, answer_b, system_a, system_b, check_kind"
    static let voteColumns = "assignment_id, rater_id, item_id, choice, shown, comment, seconds, created_at"

    /// `assignmentColumns` of the table called `a`.
    static let assignmentColumnsOfA = assignmentColumns.split(separator: ",").map { "a." + $0.trimmingCharacters(in: .whitespaces) }
        .joined(separator: ", ")

    static func rater(_ r: [SQLValue]) throws -> RaterRecord {
        RaterRecord(id: try r[0].int.required("raters.id"), tokenHash: try r[1].text.required("raters.token_hash"),
                    csrf: try r[2].text.required("raters.csrf"), externalID: r[3].text, createdAt: r[4].double ?? 0,
                    startedAt: r[5].double, excluded: (r[6].int ?? 0) != 0)
    }

    static func assignment(_ r: ArraySlice<SQLValue>) throws -> AssignmentRecord {
        let k = r.startIndex
        return AssignmentRecord(id: try r[k].int.required("assignments.id"), publicID: try r[k + 1].text.required("assignments.public_id"),
                                rater: try r[k + 2].int.required("assignments.rater_id"), item: try r[k + 3].int.required("assignments.item_id"),
                                swapped: (r[k + 4].int ?? 0) != 0, shownAt: r[k + 5].double ?? 0, expiresAt: r[k + 6].double ?? 0,
                                state: try AssignmentRecord.State(rawValue: r[k + 7].text ?? "").required("assignments.state"))
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
            let slots = Array(repeating: "(?, ?)", count: part.count).joined(separator: ", ")
            try await s.run(sql("INSERT INTO {p}slots (item_id, regular) VALUES \(slots)"),
                            part.flatMap { i -> [SQLValue] in [.int(i.number), .int(i.check == nil ? 1 : 0)] })
        }
        // PostgreSQL's planner statistics of the tables just filled, as after any bulk load (its autovacuum would
        // analyze them only a minute or more later, and keeps them current after that). Not on SQLite, which never
        // refreshes them: a fresh study's counts would describe it for the rest of its life.
        if dialect == .postgres { try await s.run(sql("ANALYZE {p}items, {p}slots"), []) }
    }

    func settings(_ s: RatingSQLSession) async throws -> RatingSettings {
        guard let json = try await s.rows(sql("SELECT json FROM {p}settings WHERE id = 1"), []).first?.first?.text else {
            throw RatingStoreError("the rating study's settings are missing")
        }
        return try JSONDecoder().decode(RatingSettings.self, from: Data(json.utf8))
    }

    /// The settings and the item counts, read from the store the first time.
    func facts(_ s: RatingSQLSession) async throws -> RatingFacts {
        if let f = known[0] { return f }
        let f = RatingFacts(settings: try await settings(s), counts: try await itemCounts(s))
        known[0] = f
        return f
    }

    /// The real items and the attention checks, counted.
    func itemCounts(_ s: RatingSQLSession) async throws -> (regular: Int, checks: Int) {
        let row = try await s.rows(sql("SELECT COUNT(*) FILTER (WHERE regular = 1), COUNT(*) FILTER (WHERE regular = 0) FROM {p}slots"),
                                   []).first
        return (row?[0].int ?? 0, row?[1].int ?? 0)
    }

    func rater(_ s: RatingSQLSession, tokenHash: String) async throws -> RaterRecord? {
        try await s.rows(sql("SELECT \(Self.raterColumns) FROM {p}raters WHERE token_hash = ?"), [.text(tokenHash)]).first.map(Self.rater)
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

    /// Releases the open assignments whose time is up at `now`: they stop holding their items' places. Each is
    /// released only if it is still open and held when its row is updated (a vote may have taken it meanwhile), and the
    /// assignments are updated before the counters, the order a vote takes its rows in.
    func release(_ s: RatingSQLSession, now: Double) async throws {
        let due = try await s.rows(sql("""
            SELECT a.id, a.item_id, r.excluded FROM {p}assignments a JOIN {p}raters r ON r.id = a.rater_id
            WHERE a.state = 'open' AND a.released = 0 AND a.expires_at <= ?
            """), [.double(now)])
        var freed: [SQLValue] = []
        for row in due {
            let updated = try await s.rows(sql("UPDATE {p}assignments SET released = 1 WHERE id = ? AND state = 'open' AND released = 0 RETURNING id"),
                                           [row[0]])
            if !updated.isEmpty && row[2].int == 0 { freed.append(row[1]) }
        }
        for item in freed { try await s.run(sql("UPDATE {p}slots SET held = held - 1 WHERE item_id = ?"), [item]) }
    }

    func item(_ s: RatingSQLSession, _ id: Int) async throws -> RatingItem {
        if let cached = cache[id] { return cached }
        guard let row = try await s.rows(sql("SELECT \(Self.itemColumns) FROM {p}items WHERE id = ?"), [.int(id)]).first else {
            throw RatingStoreError("item \(id) is missing")
        }
        let item = try Self.item(row)
        cache[id] = item
        return item
    }

    /// Holds one more place of item `item` if it has room (any number for an attention check): true when it did. The
    /// room is checked on the row as it is when the update takes it, so two servers cannot both take a last place.
    func hold(_ s: RatingSQLSession, item: RatingItem, settings: RatingSettings) async throws -> Bool {
        if item.check != nil {
            try await s.run(sql("UPDATE {p}slots SET held = held + 1 WHERE item_id = ?"), [.int(item.number)])
            return true
        }
        return !(try await s.rows(sql("UPDATE {p}slots SET held = held + 1 WHERE item_id = ? AND filled + held < ? RETURNING item_id"),
                                  [.int(item.number), .int(settings.ratersPerItem)])).isEmpty
    }

    /// The usual vote (in time, on a held assignment, by a rater not excluded) as one statement that is its own
    /// transaction: the assignment marked done, the vote stored and the item's counters moved, or nothing when the
    /// assignment is not in that state (then `vote` decides, in a transaction). PostgreSQL only: SQLite has no
    /// data-modifying `WITH`. The rows are taken in `vote`'s order (the assignment, then the counters), and the
    /// statement commits before it answers, so a vote acknowledged is a vote kept. One trip to the server instead of five.
    func voteInOneStatement(_ s: RatingSQLSession, rater: Int, publicID: String, shown: ShownChoice, comment: String?,
                            now: Double) async throws -> VoteOutcome? {
        guard let row = try await s.rows(sql("""
            WITH a AS (
                UPDATE {p}assignments SET state = 'done'
                WHERE public_id = ? AND rater_id = ? AND state = 'open' AND released = 0 AND expires_at > ?
                    AND EXISTS (SELECT 1 FROM {p}raters r WHERE r.id = ? AND r.excluded = 0)
                RETURNING \(Self.assignmentColumns)),
            v AS (
                INSERT INTO {p}votes (\(Self.voteColumns))
                SELECT a.id, a.rater_id, a.item_id, CASE WHEN a.swapped = 0 THEN ? ELSE ? END, ?, ?, GREATEST(0, ? - a.shown_at), ?
                FROM a),
            c AS (UPDATE {p}slots SET held = held - 1, filled = filled + 1 WHERE item_id = (SELECT item_id FROM a))
            SELECT \(Self.assignmentColumns) FROM a
            """), [.text(publicID), .int(rater), .double(now), .int(rater),
                   .text(shown.choice(swapped: false).rawValue), .text(shown.choice(swapped: true).rawValue), .int(shown.rawValue),
                   .optional(comment), .double(now), .double(now)]).first else { return nil }
        let a = try Self.assignment(row[...])
        return .accepted(VoteRecord(assignment: a.id, rater: rater, item: a.item, choice: shown.choice(swapped: a.swapped), shown: shown,
                                    comment: comment, seconds: max(0, now - a.shownAt), createdAt: now))
    }

    /// An assignment as a vote sees it: the record, whether it holds its item's place, whether its rater is excluded.
    private func voting(_ s: RatingSQLSession, rater: Int, publicID: String) async throws -> (AssignmentRecord, holding: Bool, excluded: Bool)? {
        guard let row = try await s.rows(sql("""
            SELECT \(Self.assignmentColumnsOfA), a.released, r.excluded FROM {p}assignments a JOIN {p}raters r ON r.id = a.rater_id
            WHERE a.public_id = ? AND a.rater_id = ?
            """), [.text(publicID), .int(rater)]).first else { return nil }
        return (try Self.assignment(row[0..<8]), row[8].int == 0, row[9].int != 0)
    }

    func vote(_ s: RatingSQLSession, settings: RatingSettings, rater: Int, publicID: String, shown: ShownChoice, comment: String?,
              now: Double) async throws -> VoteOutcome {
        // The usual case, a vote in time on a held assignment, is one update: it takes the assignment only if it is still
        // open, held and in time, and its rater not excluded, when its row is written, so it cannot race a release, a
        // second vote or an exclusion. (On PostgreSQL, two operations that wait for each other's rows are ended by the
        // server as a deadlock, and the store runs the one it ended again.)
        if let row = try await s.rows(sql("""
            UPDATE {p}assignments SET state = 'done'
            WHERE public_id = ? AND rater_id = ? AND state = 'open' AND released = 0 AND expires_at > ?
                AND EXISTS (SELECT 1 FROM {p}raters r WHERE r.id = ? AND r.excluded = 0)
            RETURNING \(Self.assignmentColumns)
            """), [.text(publicID), .int(rater), .double(now), .int(rater)]).first {
            let a = try Self.assignment(row[...])
            return try await record(s, a, item: try await item(s, a.item), holding: true, rater: rater, shown: shown, comment: comment,
                                    now: now)
        }
        // Otherwise: the rules, case by case.
        guard var (a, holding, excluded) = try await voting(s, rater: rater, publicID: publicID) else { return .unknown }
        let item = try await self.item(s, a.item)
        if excluded { return .excluded }
        switch a.state {
        case .done: return .alreadyVoted
        case .abandoned: return .expired
        case .open:
            if a.expiresAt <= now, item.check == nil {
                // Time is up: this assignment and any other overdue one stop holding places.
                try await release(s, now: now)
                holding = false
            }
        }
        // The assignment first, then its item's place (the order every operation takes rows in).
        if try await s.rows(sql("UPDATE {p}assignments SET state = 'done' WHERE id = ? AND state = 'open' RETURNING id"),
                            [.int(a.id)]).isEmpty {
            return try await voting(s, rater: rater, publicID: publicID)?.0.state == .done ? .alreadyVoted : .expired
        }
        if !holding && item.check == nil {
            // Its place was given up: the vote counts only if there is room still, checked on the row as it is written.
            if try await s.rows(sql("UPDATE {p}slots SET held = held + 1 WHERE item_id = ? AND filled + held < ? RETURNING item_id"),
                                [.int(a.item), .int(settings.ratersPerItem)]).isEmpty {
                try await s.run(sql("UPDATE {p}assignments SET state = 'abandoned', released = 1 WHERE id = ?"), [.int(a.id)])
                return .expired
            }
            holding = true
        }
        return try await record(s, a, item: item, holding: holding, rater: rater, shown: shown, comment: comment, now: now)
    }

    /// Stores the vote on assignment `a` (already marked done) and moves the counters.
    private func record(_ s: RatingSQLSession, _ a: AssignmentRecord, item: RatingItem, holding: Bool, rater: Int, shown: ShownChoice,
                        comment: String?, now: Double) async throws -> VoteOutcome {
        let v = VoteRecord(assignment: a.id, rater: rater, item: a.item, choice: shown.choice(swapped: a.swapped), shown: shown,
                           comment: comment, seconds: max(0, now - a.shownAt), createdAt: now)
        // The vote first, the item's counters last: the counters' row is the one other raters' operations wait for,
        // so it is taken as late as possible and held only until the commit.
        try await s.run(sql("INSERT INTO {p}votes (\(Self.voteColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
                        [.int(v.assignment), .int(v.rater), .int(v.item), .text(v.choice.rawValue), .int(v.shown.rawValue),
                         .optional(v.comment), .double(v.seconds), .double(v.createdAt)])
        try await s.run(sql("UPDATE {p}slots SET held = held - ?, filled = filled + 1 WHERE item_id = ?"),
                        [.int(holding ? 1 : 0), .int(a.item)])
        return .accepted(v)
    }

    func setExcluded(_ s: RatingSQLSession, rater: Int, _ excluded: Bool) async throws -> Bool {
        try await s.exclusive()
        // The rater's row first (a next item for them waits for it), then the counters of their items, recounted
        // without (or with) them.
        guard !(try await s.rows(sql("UPDATE {p}raters SET excluded = ? WHERE id = ? RETURNING id"),
                                 [.int(excluded ? 1 : 0), .int(rater)])).isEmpty else { return false }
        try await s.run(sql("""
            UPDATE {p}slots SET
                filled = (SELECT COUNT(*) FROM {p}assignments a JOIN {p}raters r ON r.id = a.rater_id
                          WHERE a.item_id = {p}slots.item_id AND a.state = 'done' AND r.excluded = 0),
                held = (SELECT COUNT(*) FROM {p}assignments a JOIN {p}raters r ON r.id = a.rater_id
                        WHERE a.item_id = {p}slots.item_id AND a.state = 'open' AND a.released = 0 AND r.excluded = 0)
            WHERE item_id IN (SELECT item_id FROM {p}assignments WHERE rater_id = ?)
            """), [.int(rater)])
        return true
    }

    func snapshot(_ s: RatingSQLSession) async throws -> RatingSnapshot {
        RatingSnapshot(
            settings: try await settings(s),
            items: try await s.rows(sql("SELECT \(Self.itemColumns) FROM {p}items ORDER BY id"), []).map(Self.item),
            raters: try await s.rows(sql("SELECT \(Self.raterColumns) FROM {p}raters ORDER BY id"), []).map(Self.rater),
            assignments: try await s.rows(sql("SELECT \(Self.assignmentColumns) FROM {p}assignments ORDER BY id"), [])
                .map { try Self.assignment($0[...]) },
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
