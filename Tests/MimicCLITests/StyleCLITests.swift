// `mimic style` as a user runs it: a table with a row per figure and a column per system, the same results as JSON
// (written with --out, rerun by --config), and bad input (missing file, malformed line, nothing matched, bad flag
// value) as one line on stderr naming the file or field, with a non-zero exit.
import Foundation
import MimicTestSupport
import Testing

@Suite struct StyleCLITests {
    func record(_ prompt: String, _ answer: String) -> String {
        let escape = { (s: String) in s.replacingOccurrences(of: "\n", with: "\\n") }
        return #"{"messages":[{"role":"user","content":"\#(prompt)"},{"role":"assistant","content":"\#(escape(answer))"}]}"#
    }

    func files(in folder: ScratchFolder) throws -> (candidate: String, reference: String, reference2: String) {
        let reference = [record("q1", "Steps:\n- one\n- two\n\nOverall, easy."), record("q2", "1. first\n2. second"),
                         record("q3", "Just a sentence of prose here."), record("q4", "Another plain answer with more words in it.")]
        let candidate = [record("q2", "- first\n- second"), record("q1", "Do it in one go."), record("q3", "A sentence of prose."),
                         record("q4", "Plain words.")]
        let second = [record("q1", "Steps:\n* one\n* two\n\nIn summary, easy."), record("q2", "first, then second"),
                      record("q3", "Prose, just a sentence here."), record("q4", "Another answer, plain, with words.")]
        let paths = (folder.path + "/c.jsonl", folder.path + "/r.jsonl", folder.path + "/r2.jsonl")
        for (path, lines) in [(paths.0, candidate), (paths.1, reference), (paths.2, second)] {
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
        return paths
    }

    @Test func aTableAndJSONWithAColumnPerSystem() throws {
        let folder = try ScratchFolder("mimic-style-cli")
        let f = try files(in: folder)
        let out = folder.path + "/style.json"
        let r = try mimic(["style", "--candidate", f.candidate, "--reference", f.reference, "--reference2", f.reference2,
                           "--seed", "3", "--bootstrap", "100", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.contains("candidate") == true && lines.first?.contains("reference2") == true, "\(r.stdout)")
        // list_match: the candidate has a list where the reference does for q2 only (50%); reference2 for q1 only.
        #expect(lines.contains { $0.hasPrefix("list_match (%)") && $0.contains("50.0 [") && $0.contains("n=2") }, "\(r.stdout)")
        #expect(lines.contains { $0.hasPrefix("summary_match (%)") && $0.contains("0.0 n=1") && $0.contains("100.0 n=1") }, "\(r.stdout)")
        #expect(lines.contains { $0.hasPrefix("authoritative_tone") && $0.contains("needs --judge") })
        #expect(r.stdout.contains("4 pairs with \(f.reference)"))

        let json = try mimic(["style", "--config", out, "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let written = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        #expect(NSDictionary(dictionary: object) == NSDictionary(dictionary: written), "--config reruns the same results")
        let figures = try #require((object["candidate"] as? [String: Any])?["figures"] as? [String: Any])
        #expect(Set(figures.keys) == ["list_match", "summary_match", "unigram_intersection", "length_correlation"])
        let list = try #require(figures["list_match"] as? [String: Any])
        #expect(list["value"] as? Double == 50 && list["n"] as? Int == 2 && (list["interval"] as? [String: Any])?["resamples"] as? Int == 100)
        #expect((object["notes"] as? [String])?.first?.contains("needs --judge") == true)
    }

    @Test func badInputIsOneLineNamingTheFileOrField() throws {
        let folder = try ScratchFolder("mimic-style-cli")
        let f = try files(in: folder)
        let missing = folder.path + "/missing.jsonl"
        let malformed = folder.path + "/bad.jsonl"
        try (record("q1", "fine") + "\n{\"messages\": [oops]}\n").write(toFile: malformed, atomically: true, encoding: .utf8)
        let unrelated = folder.path + "/unrelated.jsonl"
        try (record("something else", "x") + "\n").write(toFile: unrelated, atomically: true, encoding: .utf8)
        let cases: [([String], [String])] = [
            (["--candidate", missing, "--reference", f.reference], ["candidate", missing, "no such file"]),
            (["--candidate", f.candidate, "--reference", f.reference, "--reference2", missing], ["reference2", missing]),
            (["--candidate", malformed, "--reference", f.reference], [malformed + ":2"]),
            (["--candidate", unrelated, "--reference", f.reference], [unrelated, "none of its 1 items", f.reference]),
            (["--candidate", f.candidate, "--reference", f.reference, "--bootstrap=-5"], ["bootstrap: is -5"]),
            (["--reference", f.reference], ["candidate", "is empty"]),
        ]
        for (args, words) in cases {
            let r = try mimic(["style"] + args)
            #expect(r.status != 0, "\(args)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
            #expect(words.allSatisfy { r.stderr.contains($0) }, "\(args): \(r.stderr)")
            #expect(r.stdout.isEmpty, "\(args)")
        }
    }
}
