// The report's figures on hand-counted studies: the paper's percentages and mean preference ± sd from item majorities,
// judge–human agreement with and without ties (judgments matched by item and systems, either way round), rater
// quality; the export's CSV and JSONL; the Prolific entry and the admin's exclusion over HTTP.
import Foundation
import MimicCore
import MimicMetrics
import MimicTestSupport
import Testing
@testable import MimicRate

@Suite struct RatingReportTests {
    /// A snapshot of `units` items, each with the given votes (rater numbers from 1), systems a.jsonl and b.jsonl.
    func snapshot(_ units: [[RatingChoice]], checks: [RatingChoice] = [], seconds: Double = 10) -> RatingSnapshot {
        var items: [RatingItem] = [], assignments: [AssignmentRecord] = [], votes: [VoteRecord] = []
        for (k, choices) in units.enumerated() {
            items.append(RatingItem(number: k + 1, id: "q\(k + 1)", prompt: "P\(k + 1)", answerA: "a", answerB: "b", systemA: "a.jsonl",
                                    systemB: "b.jsonl"))
            for (r, c) in choices.enumerated() {
                let id = assignments.count + 1
                assignments.append(AssignmentRecord(id: id, publicID: "x\(id)", rater: r + 1, item: k + 1, swapped: false, shownAt: 0,
                                                    expiresAt: 100, state: .done))
                votes.append(VoteRecord(assignment: id, rater: r + 1, item: k + 1, choice: c, shown: c == .a ? .first : c == .b ? .second : .same,
                                        comment: nil, seconds: seconds, createdAt: Double(id)))
            }
        }
        for (k, c) in checks.enumerated() {
            let number = items.count + 1, id = assignments.count + 1
            items.append(RatingItem(number: number, id: "attention-\(k + 1)", prompt: "P", answerA: "whole", answerB: "who…",
                                    systemA: "attention:intact", systemB: "attention:truncated", check: .truncated))
            assignments.append(AssignmentRecord(id: id, publicID: "x\(id)", rater: 1, item: number, swapped: false, shownAt: 0,
                                                expiresAt: 100, state: .done))
            votes.append(VoteRecord(assignment: id, rater: 1, item: number, choice: c, shown: .first, comment: nil, seconds: seconds,
                                    createdAt: Double(id)))
        }
        let raters = (1...3).map { RaterRecord(id: $0, tokenHash: "h\($0)", csrf: "c", externalID: nil, createdAt: 0, startedAt: 0, excluded: false) }
        return RatingSnapshot(settings: testSettings(raters: 3), items: items, raters: raters, assignments: assignments, votes: votes)
    }

    @Test func thePapersFiguresComeFromEachItemsMajority() throws {
        // Majorities: a, a, same (no majority), b.
        let s = snapshot([[.a, .a, .b], [.a, .a, .a], [.a, .same, .b], [.b, .b, .same]])
        let report = RatingReporting.report(s, judgments: nil, resamples: 500, seed: 3)
        let p = try #require(report.pairs.first)
        #expect(report.pairs.count == 1 && p.a == "a.jsonl" && p.b == "b.jsonl" && p.items == 4 && p.completeItems == 4)
        #expect(p.aBetter == 50 && p.same == 25 && p.bBetter == 25 && p.aEqualOrBetter == 75)
        #expect(abs(p.meanPreference - 0.625) < 1e-12)
        #expect(abs(p.standardDeviation - (0.6875 / 4).squareRoot()) < 1e-12)
        let interval = try #require(p.interval)
        #expect(interval.lower <= 0.625 && 0.625 <= interval.upper && interval.lower >= 0 && interval.upper <= 1)
        #expect(report.votes == 12 && report.raters == 3 && report.strengths == nil)
        #expect(report.fleissItems == 4 && report.fleissKappa != nil && report.krippendorffAlpha != nil)
    }

    @Test func attentionChecksAndFastRatersAreFlaggedNotCounted() throws {
        let s = snapshot([[.a, .b, .a]], checks: [.a, .b], seconds: 0.5)
        let report = RatingReporting.report(s, judgments: nil, resamples: 0, seed: 0)
        #expect(report.votes == 3, "attention checks are not votes on the study")
        #expect(report.attentionPassRate == 50)
        let first = try #require(report.raterQuality.first { $0.rater == 1 })
        #expect(first.checks == 2 && first.checksPassed == 1 && first.votes == 3)
        #expect(first.flags.count == 2 && first.flags[0].contains("failed 1 of 2") && first.flags[1].contains("0.5 s"))
    }

    func judgment(_ id: String, _ order: Judgment.Order, _ verdict: Judgment.Verdict, a: String? = "a.jsonl",
                  b: String? = "b.jsonl") -> Judgment {
        var j = Judgment(id: id, order: order, verdict: verdict, aWords: 1, bWords: 1)
        j.a = a
        j.b = b
        return j
    }

    @Test func judgeHumanAgreementComparesTheMajorityWithTheCombinedVerdict() throws {
        // Human majorities: q1 a, q2 b, q3 same, q4 a, q5 a (no judgment).
        let s = snapshot([[.a, .a, .b], [.b, .b, .a], [.same, .same, .a], [.a, .a, .a], [.a, .a, .same]])
        let judgments = [
            judgment("q1", .ab, .a), judgment("q1", .ba, .a),                    // a: agrees
            judgment("q2", .ab, .a), judgment("q2", .ba, .error),                // a (one order): disagrees
            judgment("q3", .ab, .a), judgment("q3", .ba, .b),                    // inconsistent, a tie: agrees with "same"
            judgment("q4", .ab, .a, a: "b.jsonl", b: "a.jsonl"),                 // judged the other way round: b for a.jsonl
            judgment("q9", .ab, .a),                                              // not rated
        ]
        let report = RatingReporting.report(s, judgments: judgments, resamples: 0, seed: 0)
        let j = try #require(report.judge)
        #expect(j.items == 4)
        #expect(j.agreement == 50, "q1 and q3 of 4")
        #expect(j.itemsWithoutTies == 3 && abs((j.agreementWithoutTies ?? 0) - 100.0 / 3) < 1e-9, "q1 of q1, q2, q4")
        #expect(j.counts == [[1, 0, 1], [0, 1, 0], [1, 0, 0]])
        // Judgments that name no systems match by id in a one-pair study; none matching at all is a note.
        let bare = judgments.map { var x = $0; x.a = nil; x.b = nil; return x }
        #expect(RatingReporting.report(s, judgments: bare, resamples: 0, seed: 0).judge?.items == 4)
        let none = RatingReporting.report(s, judgments: [judgment("zz", .ab, .a)], resamples: 0, seed: 0)
        #expect(none.judge == nil && none.notes.contains { $0.contains("no judgment matched") })
    }

    @Test func moreThanTwoSystemsGetBradleyTerryStrengths() throws {
        var s = snapshot([[.a, .a, .same], [.b, .a, .a], [.b, .b, .a]])
        s.items[1].systemA = "c.jsonl"
        s.items[2].systemB = "c.jsonl"
        let report = RatingReporting.report(s, judgments: nil, resamples: 50, seed: 1)
        let strengths = try #require(report.strengths)
        #expect(Set(strengths.map(\.system)) == ["a.jsonl", "b.jsonl", "c.jsonl"])
        #expect(abs(strengths.map(\.strength).reduce(0, +)) < 1e-9)
        #expect(report.pairs.count == 3)
    }

    @Test func theExportQuotesFieldsAndDisarmsFormulas() {
        #expect(RatingReporting.csvField("plain") == "plain")
        #expect(RatingReporting.csvField("a,b") == "\"a,b\"")
        #expect(RatingReporting.csvField("say \"hi\"\nbye") == "\"say \"\"hi\"\"\nbye\"")
        #expect(RatingReporting.csvField("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(RatingReporting.csvField("-3.5") == "-3.5")
        #expect(RatingReporting.csvField("@cmd") == "'@cmd")
    }

    @Test func theExportWritesEveryVoteAsCSVAndJSONLines() async throws {
        let dir = try Scratch.folder("mimic-rate")
        defer { Scratch.remove(dir) }
        let files = try AnswerFiles(count: 4)
        defer { Scratch.remove(files.dir) }
        var config = RatingCreateConfig()
        config.a = [files.a]
        config.b = files.b
        config.out = dir.path + "/study"
        config.attention = 0
        _ = try await RatingStudy.create(config)
        let store = try RatingStudy.open(config.out)
        let raters = try await addRaters(store, 2)
        for (k, r) in raters.enumerated() {
            let turn = try #require(try await store.next(rater: r, now: 0))
            _ = try await store.vote(rater: r, assignment: turn.assignment.publicID, shown: .second, comment: k == 0 ? "=1+1, \"odd\"" : nil, now: 2)
        }
        await store.close()
        #expect(try await RatingReporting.export(study: config.out, to: dir.path + "/votes") == 2)
        let lines = try String(contentsOfFile: dir.path + "/votes.jsonl", encoding: .utf8).split(separator: "\n")
        let first = try JSONDecoder().decode(ExportedVote.self, from: Data(lines[0].utf8))
        #expect(lines.count == 2 && first.comment == "=1+1, \"odd\"" && first.shown == 2 && first.seconds == 2)
        #expect(first.systemA == files.a && first.systemB == files.b)
        let csv = try String(contentsOfFile: dir.path + "/votes.csv", encoding: .utf8)
        #expect(csv.hasPrefix("item,item_id,system_a,system_b,") && csv.contains("\"'=1+1, \"\"odd\"\"\""))
        #expect(csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 3)
    }

    @Test func prolificParticipantsAndTheAdminsExclusionWorkOverHTTP() async throws {
        let study = try await ServedStudy.start(names: ("student.jsonl", "teacher.jsonl"), hostile: nil, count: 3, attention: 0,
                                                prolific: true, raters: 1)
        let client = rawClient()
        do {
            let rater = HTTPRater(client: client, base: study.server.baseURL, token: "")
            let entry = try await rater.get("/p?PROLIFIC_PID=5f1a2b3c4d&STUDY_ID=s&SESSION_ID=x")
            #expect(entry.status == 303)
            let again = try await rater.get("/p?PROLIFIC_PID=5f1a2b3c4d")
            #expect(again.status == 303)
            var snapshot = try await study.snapshot()
            #expect(snapshot.raters.count == 2 && snapshot.raters[1].externalID == "5f1a2b3c4d", "the same participant is one rater")
            #expect(try await rater.get("/p?PROLIFIC_PID=bad%20id").status == 400)

            // The admin excludes the invited rater: their next page has nothing to rate, and the report lists them.
            let token = String(study.links[0].split(separator: "/").last!)
            let invited = HTTPRater(client: client, base: study.server.baseURL, token: token)
            try await invited.begin()
            try await invited.rateAll(limit: 1)
            let admin = try await rater.get("/admin/\(study.created.adminToken)")
            #expect(admin.status == 200 && admin.body.contains("student.jsonl"))
            let csrf = try #require(admin.csrf)
            #expect(try await rater.post("/admin/\(study.created.adminToken)/exclude", [("csrf", csrf), ("rater", "1"), ("excluded", "1")]).status == 303)
            #expect(try await invited.get("/r/\(token)").body.contains("nothing more for you to rate"))
            snapshot = try await study.snapshot()
            let report = RatingReporting.report(snapshot, judgments: nil, resamples: 0, seed: 0)
            #expect(report.excluded == [1] && report.votes == 0)
            #expect(try await rater.get("/admin/" + RatingToken.make()).status == 404)
        } catch {
            try? await client.shutdown()
            await study.stop()
            throw error
        }
        try await client.shutdown()
        await study.stop()
    }
}
