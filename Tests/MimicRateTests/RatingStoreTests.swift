// One suite, three stores (memory, SQLite, PostgreSQL): items get exactly their N ratings from N different raters, a
// rater never gets an item twice, timed-out assignments return to the pool, attention checks come every k-th item,
// quotas hold, excluded raters' items are given again, and votes that do not fit change nothing. The stores must also
// give the same answers, step for step, to one scripted study (the memory store is the model).
import Foundation
import MimicCore
import Testing
@testable import MimicRate

@Suite(.serialized) struct RatingStoreTests {
    @Test(arguments: StoreKind.allCases) func everyItemGetsExactlyItsRatingsFromDifferentRaters(_ kind: StoreKind) async throws {
        try await TestStore.with(kind) { s in
            try await s.create(settings: testSettings(raters: 3), items: testItems(12))
            await #expect(throws: RatingStoreError.self) { try await s.create(settings: testSettings(), items: testItems(2)) }
            let raters = try await addRaters(s, 7)
            var active = Set(raters)
            var votes = 0
            while !active.isEmpty {
                for r in raters where active.contains(r) {
                    guard let turn = try await s.next(rater: r, now: 1) else {
                        active.remove(r)
                        continue
                    }
                    // Asking again before voting gives the same item.
                    #expect(try await s.next(rater: r, now: 2)?.assignment.publicID == turn.assignment.publicID)
                    let outcome = try await s.vote(rater: r, assignment: turn.assignment.publicID, shown: .first, comment: nil, now: 3)
                    guard case .accepted(let v) = outcome else {
                        Issue.record("vote refused: \(outcome)")
                        return
                    }
                    #expect(v.choice == (turn.assignment.swapped ? .b : .a))
                    votes += 1
                }
            }
            #expect(votes == 36)
            let snapshot = try await s.snapshot()
            checkRatings(snapshot, exactly: 3, items: 12)
            #expect(snapshot.settings == testSettings(raters: 3))
            #expect(snapshot.items == testItems(12))
        }
    }

    @Test(arguments: StoreKind.allCases) func aTimedOutAssignmentReturnsToThePool(_ kind: StoreKind) async throws {
        try await TestStore.with(kind) { s in
            try await s.create(settings: testSettings(raters: 1, timeout: 100), items: testItems(1))
            let r = try await addRaters(s, 3)
            let first = try #require(try await s.next(rater: r[0], now: 0))
            #expect(try await s.next(rater: r[1], now: 50) == nil, "the only item is taken")
            let second = try #require(try await s.next(rater: r[1], now: 101), "timed out: back in the pool")
            #expect(second.item.number == first.item.number)
            // The first rater's late vote finds the item given away (still open for the second): refused, nothing stored.
            #expect(try await s.vote(rater: r[0], assignment: first.assignment.publicID, shown: .first, comment: nil, now: 102) == .expired)
            #expect(try await s.vote(rater: r[0], assignment: first.assignment.publicID, shown: .first, comment: nil, now: 103) == .expired)
            guard case .accepted(let v) = try await s.vote(rater: r[1], assignment: second.assignment.publicID, shown: .same, comment: "ok",
                                                           now: 110) else {
                Issue.record("the second rater's vote was refused")
                return
            }
            #expect(v.seconds == 9 && v.comment == "ok" && v.choice == .same)
            #expect(try await s.next(rater: r[2], now: 500) == nil)
            #expect(try await s.snapshot().votes.count == 1)
        }
    }

    @Test(arguments: StoreKind.allCases) func aLateVoteCountsWhenNobodyTookTheItem(_ kind: StoreKind) async throws {
        try await TestStore.with(kind) { s in
            try await s.create(settings: testSettings(raters: 1, timeout: 100), items: testItems(2))
            let r = try await addRaters(s, 1)
            let turn = try #require(try await s.next(rater: r[0], now: 0))
            // Coming back after the time-out renews the same assignment; the time counts from then.
            let again = try #require(try await s.next(rater: r[0], now: 300))
            #expect(again.assignment.publicID == turn.assignment.publicID && again.assignment.shownAt == 300)
            guard case .accepted(let v) = try await s.vote(rater: r[0], assignment: turn.assignment.publicID, shown: .second, comment: nil,
                                                           now: 1000) else {
                Issue.record("a late vote on an item nobody else took was refused")
                return
            }
            #expect(v.seconds == 700)
        }
    }

    @Test(arguments: StoreKind.allCases) func votesThatDoNotFitChangeNothing(_ kind: StoreKind) async throws {
        try await TestStore.with(kind) { s in
            try await s.create(settings: testSettings(raters: 2), items: testItems(3))
            let r = try await addRaters(s, 3)
            let mine = try #require(try await s.next(rater: r[0], now: 0))
            let theirs = try #require(try await s.next(rater: r[1], now: 0))
            let before = try await s.snapshot()
            #expect(try await s.vote(rater: r[0], assignment: RatingToken.make(), shown: .first, comment: nil, now: 1) == .unknown)
            #expect(try await s.vote(rater: r[0], assignment: theirs.assignment.publicID, shown: .first, comment: nil, now: 1) == .unknown)
            #expect(try await s.vote(rater: 999, assignment: mine.assignment.publicID, shown: .first, comment: nil, now: 1) == .unknown)
            #expect(try await s.snapshot() == before)
            guard case .accepted = try await s.vote(rater: r[0], assignment: mine.assignment.publicID, shown: .first, comment: nil, now: 1) else {
                Issue.record("the right vote was refused")
                return
            }
            let after = try await s.snapshot()
            #expect(try await s.vote(rater: r[0], assignment: mine.assignment.publicID, shown: .second, comment: nil, now: 2) == .alreadyVoted)
            #expect(try await s.setExcluded(rater: r[1], true))
            #expect(try await s.vote(rater: r[1], assignment: theirs.assignment.publicID, shown: .first, comment: nil, now: 2) == .excluded)
            #expect(try await s.next(rater: r[1], now: 2) == nil)
            #expect(try await !s.setExcluded(rater: 999, true))
            var expected = after
            expected.raters[1].excluded = true
            #expect(try await s.snapshot() == expected)
        }
    }

    @Test(arguments: StoreKind.allCases) func anExcludedRatersItemsAreGivenAgain(_ kind: StoreKind) async throws {
        try await TestStore.with(kind) { s in
            try await s.create(settings: testSettings(raters: 1), items: testItems(2))
            let r = try await addRaters(s, 2)
            for _ in 0..<2 {
                let turn = try #require(try await s.next(rater: r[0], now: 0))
                _ = try await s.vote(rater: r[0], assignment: turn.assignment.publicID, shown: .first, comment: nil, now: 1)
            }
            #expect(try await s.next(rater: r[1], now: 2) == nil)
            #expect(try await s.setExcluded(rater: r[0], true))
            var given: Set<Int> = []
            while let turn = try await s.next(rater: r[1], now: 3) {
                given.insert(turn.item.number)
                _ = try await s.vote(rater: r[1], assignment: turn.assignment.publicID, shown: .second, comment: nil, now: 4)
            }
            #expect(given == [1, 2])
        }
    }

    @Test(arguments: StoreKind.allCases) func attentionChecksComeEveryKthItemAndQuotasHold(_ kind: StoreKind) async throws {
        try await TestStore.with(kind) { s in
            try await s.create(settings: testSettings(raters: 3, attentionEvery: 3, itemsPerRater: 6), items: testItems(10, checks: 2))
            let r = try await addRaters(s, 1)
            var sequence: [Bool] = []
            var totals: Set<Int> = []
            while let turn = try await s.next(rater: r[0], now: 0) {
                sequence.append(turn.item.check != nil)
                totals.insert(turn.progress.total)
                #expect(turn.progress.done == sequence.count - 1)
                _ = try await s.vote(rater: r[0], assignment: turn.assignment.publicID, shown: .first, comment: nil, now: 1)
            }
            // Positions 3 and 6 are the two checks; the quota of 6 real items ends it.
            #expect(sequence == [false, false, true, false, false, true, false, false])
            #expect(totals == [8])
        }
    }

    /// One scripted study (raters arriving, voting, timing out, excluded) against each store: the same turns and outcomes.
    func script(_ s: RatingStore, afterCreate: (RatingStore) async throws -> Void = { _ in }) async throws -> [String] {
        try await s.create(settings: testSettings(raters: 2, timeout: 50, attentionEvery: 4, itemsPerRater: 5), items: testItems(9, checks: 2))
        try await afterCreate(s)
        let r = try await addRaters(s, 5)
        var log: [String] = []
        var clock = 0.0
        for step in 0..<60 {
            clock += 7
            let rater = r[(step * 3) % 5]
            if step == 30 { log.append("exclude \(try await s.setExcluded(rater: r[2], true))") }
            guard let turn = try await s.next(rater: rater, now: clock) else {
                log.append("\(step) r\(rater) done")
                continue
            }
            log.append("\(step) r\(rater) item \(turn.item.number) swapped \(turn.assignment.swapped) \(turn.progress.done)/\(turn.progress.total)")
            if step % 5 == 4 { continue }   // walks away: the assignment times out
            let outcome = try await s.vote(rater: rater, assignment: turn.assignment.publicID, shown: ShownChoice(rawValue: step % 3 + 1)!,
                                           comment: step % 2 == 0 ? "c\(step)" : nil, now: clock + 1)
            switch outcome {
            case .accepted(let v): log.append("  \(v.choice) \(v.seconds)")
            default: log.append("  \(outcome)")
            }
        }
        let snapshot = try await s.snapshot()
        log.append("votes \(snapshot.votes.map { "\($0.rater):\($0.item):\($0.choice)" })")
        log.append("states \(snapshot.assignments.map { "\($0.rater):\($0.item):\($0.state)" })")
        return log
    }

    /// A PostgreSQL study made by an earlier Mimic has no `mimic_next_slot`: its raters still get their items, in the
    /// same order, through the transaction.
    @Test func aPostgresStudyWithoutTheNextSlotFunctionStillAnswersAsTheModelDoes() async throws {
        try await TestStore.with(.postgres) { store in
            let model = try await script(MemoryRatingStore())
            let real = try await script(store) { try await ($0 as! PostgresRatingStore).dropNextSlotFunction() }
            #expect(real == model)
        }
    }

    /// Two requests of one rater at once (two tabs, a double click) leave at most one open assignment, and both get
    /// the same item; on PostgreSQL the second waits for the first's lock and must see what it wrote.
    @Test(arguments: StoreKind.allCases) func oneRatersRequestsAtOnceShareOneAssignment(_ kind: StoreKind) async throws {
        try await TestStore.with(kind) { s in
            try await s.create(settings: testSettings(raters: 3, timeout: 600), items: testItems(30))
            let raters = try await addRaters(s, 2)
            for round in 0..<20 {
                let r = raters[round % 2]
                async let one = s.next(rater: r, now: Double(round))
                async let two = s.next(rater: r, now: Double(round))
                let (a, b) = try await (one, two)
                let open = try await s.snapshot().assignments.filter { $0.rater == r && $0.state == .open }
                #expect(open.count <= 1, "round \(round): \(open.count) open assignments")
                #expect(a?.assignment.publicID == b?.assignment.publicID)
                guard let turn = a else { break }
                _ = try await s.vote(rater: r, assignment: turn.assignment.publicID, shown: .first, comment: nil, now: Double(round))
            }
        }
    }

    /// A random walk of raters (asking, voting, walking away, voting late on old items, being excluded and let back, the
    /// clock jumping past time-outs), seeded, logged step by step.
    func randomScript(_ s: RatingStore, seed: UInt64) async throws -> [String] {
        var rng = SplitMix64(seed: seed)
        try await s.create(settings: testSettings(raters: 2, timeout: 30, attentionEvery: 5, itemsPerRater: nil),
                           items: testItems(12, checks: 2))
        let r = try await addRaters(s, 6)
        var log: [String] = []
        var clock = 0.0
        var held: [Int: [String]] = [:]   // each rater's assignments so far
        for step in 0..<400 {
            clock += Double(rng.below(3) == 0 ? rng.below(40) : rng.below(4))
            let rater = r[rng.below(r.count)]
            switch rng.below(10) {
            case 0:
                let flag = rng.below(2) == 0
                log.append("\(step) r\(rater) excluded \(flag) \(try await s.setExcluded(rater: rater, flag))")
            case 1, 2:
                // A vote on one of the rater's older assignments (late, repeated or given away meanwhile).
                guard let old = held[rater]?.randomElement(using: &rng) else { continue }
                log.append("\(step) r\(rater) old \(try await s.vote(rater: rater, assignment: old, shown: .second, comment: nil, now: clock))")
            default:
                guard let turn = try await s.next(rater: rater, now: clock) else {
                    log.append("\(step) r\(rater) nothing")
                    continue
                }
                held[rater, default: []].append(turn.assignment.publicID)
                log.append("\(step) r\(rater) item \(turn.item.number) \(turn.assignment.shownAt) \(turn.progress.done)/\(turn.progress.total)")
                if rng.below(4) == 0 { continue }   // walks away
                clock += Double(rng.below(3) == 0 ? rng.below(50) : rng.below(5))
                let outcome = try await s.vote(rater: rater, assignment: turn.assignment.publicID, shown: .first, comment: nil, now: clock)
                log.append("  \(outcome)")
            }
        }
        let snapshot = try await s.snapshot()
        log.append("votes \(snapshot.votes.map { "\($0.rater):\($0.item):\($0.choice):\($0.seconds)" })")
        log.append("states \(snapshot.assignments.map { "\($0.rater):\($0.item):\($0.state):\($0.expiresAt)" })")
        return log
    }

    @Test(arguments: [StoreKind.sqlite, .postgres]) func storesAnswerRandomStudiesAsTheModelDoes(_ kind: StoreKind) async throws {
        var seen: [String] = []
        for seed: UInt64 in 1...6 {
            try await TestStore.with(kind) { store in
                let model = try await randomScript(MemoryRatingStore(), seed: seed)
                let real = try await randomScript(store, seed: seed)
                // Outcomes carry fresh assignment ids; compare all else.
                let strip = { (lines: [String]) in lines.map { $0.replacingOccurrences(of: #"publicID: "[^"]*""#, with: "", options: .regularExpression) } }
                let (a, b) = (strip(real), strip(model))
                #expect(a == b, "seed \(seed)")
                if let k = a.indices.first(where: { $0 >= b.count || a[$0] != b[$0] }) {
                    Issue.record("seed \(seed), first difference at line \(k): \(a[k]) vs \(k < b.count ? b[k] : "(none)")")
                }
                seen += model
            }
        }
        // The walks reach every outcome, late votes refused and late votes counted.
        for outcome in ["accepted", "expired", "excluded", "alreadyVoted", "old accepted", "nothing"] {
            #expect(seen.contains { $0.contains(outcome) }, "no step gave \(outcome)")
        }
    }

    /// PostgreSQL stores a new assignment's order with an SQL copy of `RatingOrder.swapped` (SplitMix64 through
    /// `numeric`): it must agree with the Swift function everywhere, seeds with the top bit set included.
    @Test func theSQLOrderFunctionIsTheSwiftOne() async throws {
        guard let t = try await TestStore.make(.postgres), let store = t.store as? PostgresRatingStore else { return }
        try await store.create(settings: testSettings(), items: testItems(2))
        var rng = SplitMix64(seed: 99)
        var cases: [(seed: UInt64, rater: Int, item: Int)] = [(0, 1, 1), (UInt64.max, 1, 1), (1 << 63, 200, 5000), (7, 2_000_000, 1_000_000)]
        for _ in 0..<300 { cases.append((rng.next(), 1 + rng.below(100_000), 1 + rng.below(1_000_000))) }
        let sql = try await store.swappedInSQL(cases)
        await t.cleanup()
        let swift = cases.map { RatingOrder.swapped(seed: $0.seed, rater: $0.rater, item: $0.item) }
        #expect(sql == swift)
        #expect(swift.filter { $0 }.count > 100 && swift.filter { !$0 }.count > 100)
    }

    @Test(arguments: [StoreKind.sqlite, .postgres]) func storesAnswerAScriptedStudyAsTheModelDoes(_ kind: StoreKind) async throws {
        try await TestStore.with(kind) { store in
            let model = try await script(MemoryRatingStore())
            let real = try await script(store)
            #expect(real == model)
            #expect(model.contains { $0.contains("done") } && model.contains { $0.contains("true") })
        }
    }
}
