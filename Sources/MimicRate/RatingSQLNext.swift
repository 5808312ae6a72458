// The next item for a rater in the SQL stores (part of RatingSQL): the rater's row taken for the transaction, then
// an item in the rater's order, found down the slots index by PostgreSQL's mimic_next_slot or in two statements.
import Foundation
import MimicCore

extension RatingSQL {
    func next(_ s: RatingSQLSession, settings: RatingSettings, counts: (regular: Int, checks: Int), rater: Int,
              now: Double) async throws -> RatingTurn? {
        // The rater's row, taken for the transaction (an exclusion of this rater waits, and waits for it), with their
        // counters, their open assignment (at most one) and whether any assignment is overdue.
        guard let row = try await s.rows(sql("""
            UPDATE {p}raters SET excluded = excluded WHERE id = ? RETURNING excluded,
                (SELECT COUNT(*) FROM {p}assignments c WHERE c.rater_id = ? AND c.state = 'done'),
                (SELECT COUNT(*) FROM {p}assignments c JOIN {p}slots t ON t.item_id = c.item_id
                 WHERE c.rater_id = ? AND c.state = 'done' AND t.regular = 1),
                (SELECT MIN(a.id) FROM {p}assignments a WHERE a.rater_id = ? AND a.state = 'open'),
                EXISTS (SELECT 1 FROM {p}assignments d WHERE d.state = 'open' AND d.released = 0 AND d.expires_at <= ?)
            """), [.int(rater), .int(rater), .int(rater), .int(rater), .double(now)]).first else { return nil }
        if let due = row[4].int, due != 0 { try await release(s, now: now) }
        guard row[0].int == 0 else { return nil }
        let done = row[1].int ?? 0, doneRegular = row[2].int ?? 0
        let progress = RatingRules.progress(done: done, settings: settings, regular: counts.regular, checks: counts.checks)
        if let openID = row[3].int,
           let found = try await s.rows(sql("SELECT \(Self.assignmentColumns) FROM {p}assignments WHERE id = ?"), [.int(openID)]).first {
            var open = try Self.assignment(found[...])
            let item = try await self.item(s, open.item)
            if open.expiresAt > now { return RatingTurn(assignment: open, item: item, progress: progress) }
            // Released above (or by another server); the rater keeps it if there is still room.
            let before = open
            open.shownAt = now
            open.expiresAt = now + settings.timeoutSeconds
            try await s.run(sql("UPDATE {p}assignments SET shown_at = ?, expires_at = ?, released = 0 WHERE id = ?"),
                            [.double(open.shownAt), .double(open.expiresAt), .int(open.id)])
            if try await hold(s, item: item, settings: settings) { return RatingTurn(assignment: open, item: item, progress: progress) }
            try await s.run(sql("UPDATE {p}assignments SET state = 'abandoned', released = 1, shown_at = ?, expires_at = ? WHERE id = ?"),
                            [.double(before.shownAt), .double(before.expiresAt), .int(open.id)])
        }
        if RatingRules.quotaReached(doneRegular: doneRegular, settings: settings) { return nil }
        // The item is chosen and its place held in one statement; the room is checked again on the row as the update
        // takes it, so when another server took the last place first, nothing is updated and the choice is made again.
        let checks = Self.checkCandidates(settings: settings, rater: rater)
        let regular = Self.regularCandidates(settings: settings, rater: rater)
        var chosen: Int?, tries = 0
        for (candidates, room, args) in RatingRules.attentionDue(done: done, settings: settings) ? [checks, regular] : [regular] {
            while chosen == nil {
                tries += 1
                if tries > 100 { throw RatingStoreError("no item could be held after 100 tries: the study is too busy; try again") }
                chosen = try await s.rows(sql("""
                    UPDATE {p}slots SET held = held + 1
                    WHERE item_id = (SELECT s.item_id FROM {p}slots s WHERE \(candidates)\(skipLocked))\(room)
                    RETURNING item_id
                    """), args).first?.first?.int
                if chosen != nil { break }
                // Nothing held: no candidate at all, or another server took it first.
                let left = try await s.rows(sql("SELECT s.item_id FROM {p}slots s WHERE \(candidates)"), Array(args.prefix(args.count - (room.isEmpty ? 0 : 1))))
                if left.isEmpty { break }
            }
            if chosen != nil { break }
        }
        guard let itemID = chosen else { return nil }
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

    /// The attention checks a rater has not seen, in their order (`WHERE` text after `s.`, the room condition of the
    /// update that holds one, and the values of the `?`s, the room's last).
    static func checkCandidates(settings: RatingSettings, rater: Int) -> (String, String, [SQLValue]) {
        ("s.regular = 0 AND \(unseen) ORDER BY \(RatingOrder.rankSQL("s.item_id")), s.item_id LIMIT 1", "",
         [.int(rater), .int(RatingOrder.salt(seed: settings.seed, rater: rater))])
    }

    /// The real items with room that a rater has not seen, the most rated first, then in the rater's order.
    static func regularCandidates(settings: RatingSettings, rater: Int) -> (String, String, [SQLValue]) {
        ("""
        s.regular = 1 AND s.filled + s.held < ? AND \(unseen)
        ORDER BY s.filled + s.held DESC, \(RatingOrder.rankSQL("s.item_id")), s.item_id LIMIT 1
        """, " AND filled + held < ?",
         [.int(settings.ratersPerItem), .int(rater), .int(RatingOrder.salt(seed: settings.seed, rater: rater)), .int(settings.ratersPerItem)])
    }

    static let unseen = "s.item_id NOT IN (SELECT item_id FROM {p}assignments WHERE rater_id = ?)"

    /// The usual next item (a rater not excluded, with no open assignment, no attention check due and quota left, and
    /// no assignment anywhere overdue) in two statements and no transaction: a read of the rater's counters, then
    /// one statement that takes the rater's row (only if they are still as read), holds the first free place by the
    /// same order as `next` (found by `mimic_next_slot`, down the index) and stores the assignment with its order.
    /// When it held nothing, a third statement tells whether the rater has anything left at all (no item with room
    /// unseen and no open assignment: `next`'s answer would be no turn, so it is given without the transaction, which
    /// matters when a study runs out and every rater asks at once). `nil` when the case is not the usual one or the
    /// statement held nothing for another reason: then `next` decides, in a transaction. PostgreSQL only (see
    /// `Dialect`).
    func nextInTwoStatements(_ s: RatingSQLSession, settings: RatingSettings, counts: (regular: Int, checks: Int), rater: Int,
                             now: Double) async throws -> RatingTurn?? {
        guard let row = try await s.rows(sql("""
            SELECT r.excluded,
                (SELECT COUNT(*) FROM {p}assignments c WHERE c.rater_id = r.id AND c.state = 'done'),
                (SELECT COUNT(*) FROM {p}assignments c JOIN {p}slots t ON t.item_id = c.item_id
                 WHERE c.rater_id = r.id AND c.state = 'done' AND t.regular = 1),
                EXISTS (SELECT 1 FROM {p}assignments a WHERE a.rater_id = r.id AND a.state = 'open'),
                EXISTS (SELECT 1 FROM {p}assignments d WHERE d.state = 'open' AND d.released = 0 AND d.expires_at <= ?)
            FROM {p}raters r WHERE r.id = ?
            """), [.double(now), .int(rater)]).first,
              row[0].int == 0, row[3].int == 0, row[4].int == 0 else { return nil }
        let done = row[1].int ?? 0, doneRegular = row[2].int ?? 0
        if RatingRules.attentionDue(done: done, settings: settings) || RatingRules.quotaReached(doneRegular: doneRegular, settings: settings) {
            return nil
        }
        let salt = RatingOrder.salt(seed: settings.seed, rater: rater)
        let publicID = RatingToken.make()
        guard let made = try await s.rows(sql("""
            WITH r AS (SELECT id FROM {p}raters WHERE id = ? AND excluded = 0 FOR UPDATE),
            h AS (
                UPDATE {p}slots SET held = held + 1
                WHERE item_id = (SELECT {p}mimic_next_slot(?, ?, ?, ?) WHERE EXISTS (SELECT 1 FROM r)) AND filled + held < ?
                RETURNING item_id)
            INSERT INTO {p}assignments (public_id, rater_id, item_id, swapped, shown_at, expires_at, state)
            SELECT ?, ?, h.item_id, {p}mimic_swapped(?, ?, h.item_id), ?, ?, 'open' FROM h
            RETURNING \(Self.assignmentColumns)
            """), [.int(rater), .int(rater), .int(settings.ratersPerItem),
                   .int(RatingOrder.cut(salt: salt)), .int(done), .int(settings.ratersPerItem), .text(publicID), .int(rater), .int(Int(truncatingIfNeeded: settings.seed)), .int(rater), .double(now),
                   .double(now + settings.timeoutSeconds)]).first else {
            let (candidates, _, args) = Self.regularCandidates(settings: settings, rater: rater)
            // Nothing left only if the rater is still as read (the counts moved when another request of theirs ran
            // meanwhile: an attention check may be due now); otherwise the transaction decides.
            let left = try await s.rows(sql("""
                SELECT EXISTS (SELECT 1 FROM {p}slots s WHERE \(candidates))
                    OR EXISTS (SELECT 1 FROM {p}assignments WHERE rater_id = ? AND state = 'open')
                    OR (SELECT COUNT(*) FROM {p}assignments WHERE rater_id = ? AND state = 'done') <> ?
                """), Array(args.dropLast()) + [.int(rater), .int(rater), .int(done)]).first?.first?.int
            return left == 0 ? .some(nil) : nil
        }
        let assignment = try Self.assignment(made[...])
        let progress = RatingRules.progress(done: done, settings: settings, regular: counts.regular, checks: counts.checks)
        return RatingTurn(assignment: assignment, item: try await item(s, assignment.item), progress: progress)
    }
}
