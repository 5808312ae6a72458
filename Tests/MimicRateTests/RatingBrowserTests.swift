// The rating app as people and attackers meet it: headless Chromium (Debian's chromium and chromium-driver, driven by
// Selenium from rate_browser.py) reads the instructions, votes with keys and clicks at desktop and phone widths and
// completes the study, and the report counts exactly those votes; no system name reaches the rater's browser, and
// model text with <script> and onerror shows as text. rate_hostile.py fires more than 50 malformed, oversized, forged
// and replayed requests at every route: each gets a 4xx and the database keeps only the one honest vote.
import Foundation
import MimicCore
import MimicTestSupport
import Testing
@testable import MimicRate

/// Runs a script; its exit status, stdout and stderr.
func runScript(_ python: String, _ script: String, _ arguments: [String]) throws -> (Int32, Data, String) {
    let run = try ChildProcess.run(python, [URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/" + script] + arguments)
    return (run.status, run.stdout, run.stderr)
}

/// A study made through the library from answer files, served in-process on SQLite.
struct ServedStudy {
    let files: AnswerFiles
    let created: RatingCreated
    let server: RatingServer
    let links: [String]

    static func start(names: (String, String), hostile: String?, count: Int, attention: Double, prolific: Bool,
                      raters: Int) async throws -> ServedStudy {
        let files = try AnswerFiles(count: count, names: names, hostile: hostile)
        var config = RatingCreateConfig()
        config.a = [files.a]
        config.b = files.b
        config.out = files.dir.path + "/study"
        config.attention = attention
        config.prolific = prolific
        config.seed = 11
        let created = try await RatingStudy.create(config)
        let server = try await RatingServer.start(store: try RatingStudy.open(config.out))
        let links = try await RatingStudy.invite(folder: config.out, count: raters, baseURL: server.baseURL)
        return ServedStudy(files: files, created: created, server: server, links: links)
    }

    func snapshot() async throws -> RatingSnapshot { try await RatingStudy.snapshot(created.folder) }

    func stop() async {
        await server.stop()
        Scratch.remove(files.dir)
    }
}

@Suite(.serialized) struct RatingBrowserTests {
    static let hostileAnswer = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\"> hostile & <b>bold</b>"

    @Test(.requires(.browser)) func ratersInAHeadlessBrowserCompleteTheStudyAndTheReportCountsTheirVotes() async throws {
        let python = try FetchedAsset.browser.require()
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.isExecutableFile(atPath: tool) {
            Issue.record("\(tool) is missing: apt-get install chromium chromium-driver (scripts/setup.sh)")
            return
        }
        let study = try await ServedStudy.start(names: ("SECRET-ALPHA.jsonl", "SECRET-BETA.jsonl"), hostile: Self.hostileAnswer,
                                                count: 8, attention: 0.25, prolific: false, raters: 3)
        let shots = FileManager.default.temporaryDirectory.appendingPathComponent("mimic-rate-screenshots").path
        try? FileManager.default.removeItem(atPath: shots)
        let (status, stdout, stderr) = try runScript(python, "rate_browser.py", [study.server.baseURL,
                                                                                  study.server.baseURL + "/admin/" + study.created.adminToken,
                                                                                  shots, study.links[0], study.links[1]])
        let snapshot = try await study.snapshot()
        await study.server.stop()
        defer { Scratch.remove(study.files.dir) }
        try #require(status == 0, "rate_browser.py failed: \(stderr)")
        let seen = try #require(try JSONSerialization.jsonObject(with: stdout) as? [String: Any])
        print("rating app screenshots: \(shots)")

        // Nothing the rater's browser received names a system; the admin page (organiser only) does.
        let bodies = try #require(seen["rater_bodies"] as? [String])
        #expect(bodies.count >= 10)
        #expect(!bodies.contains { $0.contains("SECRET") }, "a system name reached the rater's browser")
        let responses = try #require(seen["rater_responses"] as? [[String: Any]])
        #expect(!responses.contains { "\($0)".contains("SECRET") })
        #expect((seen["admin_bodies"] as? [String])?.contains { $0.contains("SECRET-ALPHA") } == true)
        // Model text is text.
        #expect(seen["hostile_seen"] as? Bool == true && seen["hostile_text_ok"] as? Bool == true)
        #expect(seen["hostile_child_elements"] as? Int == 0 && seen["pwned"] as? Bool == false)
        #expect((seen["console"] as? [String])?.isEmpty == true, "\(seen["console"] ?? "")")
        // Phone and desktop widths; typing in the comment box does not vote.
        #expect(seen["phone_stacked"] as? Bool == true && seen["phone_no_hscroll"] as? Bool == true)
        #expect(seen["desktop_side_by_side"] as? Bool == true)
        #expect(seen["comment_typing_submitted"] as? Bool == false && seen["comment_value_kept"] as? Bool == true)
        #expect(seen["completion_code"] as? String == snapshot.settings.completionCode)
        for shot in try #require(seen["screenshots"] as? [String]) {
            let size = try FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int ?? 0
            #expect(size > 5_000, "\(shot) is \(size) bytes")
        }

        // The store holds exactly the votes the browser cast, each as pressed on the order shown.
        let first = try #require(seen["votes"] as? [[String: Any]]), second = try #require(seen["second_votes"] as? [[String: Any]])
        #expect(first.count == 10 && second.count == 2, "8 items and 2 attention checks, then 2")
        #expect(Set(first.compactMap { $0["method"] as? String }) == ["keyboard", "mouse"])
        #expect(snapshot.votes.count == first.count + second.count)
        let items = Dictionary(uniqueKeysWithValues: snapshot.items.map { ($0.number, $0) })
        let assignments = Dictionary(uniqueKeysWithValues: snapshot.assignments.map { ($0.id, $0) })
        for (rater, cast) in [(1, first), (2, second)] {
            let stored = snapshot.votes.filter { $0.rater == rater }.sorted { $0.createdAt < $1.createdAt }
            #expect(stored.count == cast.count)
            for (vote, seen) in zip(stored, cast) {
                let item = try #require(items[vote.item]), swapped = try #require(assignments[vote.assignment]).swapped
                #expect(seen["prompt"] as? String == item.prompt)
                #expect(seen["output1"] as? String == (swapped ? item.answerB : item.answerA))
                #expect(seen["pressed"] as? Int == vote.shown.rawValue)
                #expect(vote.choice == vote.shown.choice(swapped: swapped))
                #expect(vote.comment == (seen["comment"] as? String).flatMap { $0.isEmpty ? nil : $0 })
            }
        }
        let report = RatingReporting.report(snapshot, judgments: nil, resamples: 100, seed: 1)
        #expect(report.votes == 10, "8 real votes of rater 1 and 2 of rater 2 count; attention checks do not")
        #expect(report.raterQuality.first { $0.rater == 1 }?.checks == 2)
    }

    @Test func hostileRequestsGetA4xxAndChangeNothing() async throws {
        let study = try await ServedStudy.start(names: ("student.jsonl", "teacher.jsonl"), hostile: nil, count: 6, attention: 0,
                                                prolific: true, raters: 2)
        let tokens = study.links.map { String($0.split(separator: "/").last!) }
        let (status, stdout, stderr) = try runScript("/usr/bin/python3", "rate_hostile.py",
                                                     [study.server.baseURL, tokens[0], tokens[1], study.created.adminToken])
        let snapshot = try await study.snapshot()
        await study.stop()
        try #require(status == 0, "rate_hostile.py failed: \(stderr)")
        let seen = try #require(try JSONSerialization.jsonObject(with: stdout) as? [String: Any])
        let cases = try #require(seen["cases"] as? [[String: Any]])
        #expect(cases.count >= 50)
        for c in cases where c["ok"] as? Bool != true { Issue.record("\(c["name"] ?? "?") answered \(c["status"] ?? "nothing")") }
        #expect(seen["legit_ack"] as? Int == 303 && seen["health_after"] as? Int == 200)
        // Only the honest vote, only the two invited raters, no exclusion, nothing assigned twice.
        #expect(snapshot.votes.count == 1 && snapshot.votes.first?.rater == 1)
        #expect(snapshot.raters.count == 2 && snapshot.raters.allSatisfy { !$0.excluded })
        #expect(snapshot.assignments.filter { $0.state == .open }.count <= 2)
        checkRatings(snapshot, exactly: 1, items: 1)
    }
}
