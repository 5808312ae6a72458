// `mimic data` steps as stages: a written summary given to --config reproduces the output byte for byte; an
// unknown config key or a bad choice is one error line naming it; unknown record fields pass through the CLI unchanged.
import Foundation
import MimicCore
import Testing

@Suite struct DataConfigCLITests {
    func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mimic-dataconfig-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let lines = (0..<30).map { i in
            #"{"messages":[{"role":"user","content":"question number \#(i) with some words","name":"u\#(i)"},"#
                + #"{"role":"assistant","content":"answer \#(i)","weight":\#(i % 2)}],"meta":{"source":"s#\#(i)"},"extra_\#(i % 3)":[\#(i)]}"#
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/in.jsonl", atomically: true, encoding: .utf8)
        return dir
    }

    @Test func aWrittenSubsetConfigReproducesTheOutput() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try mimic(["data", "subset", dir + "/in.jsonl", "--out", dir + "/a.jsonl", "--tokens", "60", "--seed", "4"])
        #expect(first.status == 0, "\(first.stderr)")
        let summary = dir + "/a.jsonl.subset.json"
        #expect(FileManager.default.fileExists(atPath: summary))
        let again = try mimic(["data", "subset", "--config", summary, "--out", dir + "/b.jsonl"])
        #expect(again.status == 0, "\(again.stderr)")
        let a = try String(contentsOfFile: dir + "/a.jsonl", encoding: .utf8)
        let b = try String(contentsOfFile: dir + "/b.jsonl", encoding: .utf8)
        #expect(!a.isEmpty && a == b)
        // Every line written is a record of the input, unknown fields included: the record and message fields as they
        // were, and the same provenance (written in meta's one layout, whatever the input's was).
        let input = try String(contentsOfFile: dir + "/in.jsonl", encoding: .utf8)
        let inputs = try input.split(separator: "\n").map { try JSONDecoder().decode(ConversationRecord.self, from: Data($0.utf8)) }
        for line in a.split(separator: "\n") {
            let record = try JSONDecoder().decode(ConversationRecord.self, from: Data(line.utf8))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(inputs.contains(record) && object.keys.contains { $0.hasPrefix("extra_") }, "\(line)")
        }
    }

    @Test func aWrittenDedupConfigReproducesTheOutput() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Near-duplicates: the 30 questions differ only in their number, so at 0.5 most of them go.
        let first = try mimic(["data", "dedup", dir + "/in.jsonl", "--out", dir + "/a.jsonl", "--near", "0.5", "--seed", "7",
                               "--report", dir + "/a-report.json"])
        #expect(first.status == 0, "\(first.stderr)")
        let a = try String(contentsOfFile: dir + "/a.jsonl", encoding: .utf8)
        let kept = a.split(separator: "\n").count
        #expect(kept >= 1 && kept < 30, "\(first.stdout)")
        let summary = try String(contentsOfFile: dir + "/a.jsonl.dedup.json", encoding: .utf8)
        #expect(summary.contains("\"near\" : 0.5") && summary.contains("\"seed\" : 7"))
        let again = try mimic(["data", "dedup", "--config", dir + "/a.jsonl.dedup.json", "--out", dir + "/b.jsonl",
                               "--report", dir + "/b-report.json"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try String(contentsOfFile: dir + "/b.jsonl", encoding: .utf8) == a)
        let bad = try mimic(["data", "dedup", dir + "/in.jsonl", "--out", dir + "/c.jsonl", "--scope", "sentence"])
        #expect(bad.status != 0 && !FileManager.default.fileExists(atPath: dir + "/c.jsonl"))
        try "input: \(dir)/in.jsonl\nout: \(dir)/c.jsonl\nscope: sentence\n".write(toFile: dir + "/bad.yaml", atomically: true, encoding: .utf8)
        let badFile = try mimic(["data", "dedup", "--config", dir + "/bad.yaml"])
        #expect(badFile.status != 0 && badFile.stderr.contains("scope: 'sentence' is not one of: query, conversation"), "\(badFile.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/c.jsonl"))
    }

    @Test func aWrittenSplitConfigReproducesTheOutput() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try mimic(["data", "split", dir + "/in.jsonl", "--train", dir + "/t.jsonl", "--held-out", dir + "/h.jsonl", "--fraction", "0.2"])
        #expect(first.status == 0, "\(first.stderr)")
        let again = try mimic(["data", "split", "--config", dir + "/t.jsonl.split.json", "--train", dir + "/t2.jsonl", "--held-out", dir + "/h2.jsonl"])
        #expect(again.status == 0, "\(again.stderr)")
        for (x, y) in [("t", "t2"), ("h", "h2")] {
            let one = try String(contentsOfFile: "\(dir)/\(x).jsonl", encoding: .utf8)
            let two = try String(contentsOfFile: "\(dir)/\(y).jsonl", encoding: .utf8)
            #expect(!one.isEmpty && one == two)
        }
    }

    @Test func anUnknownKeyIsOneLineNamingIt() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bad = dir + "/bad.yaml"
        try "input: \(dir)/in.jsonl\nout: \(dir)/o.jsonl\ntoken: 5\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let r = try mimic(["data", "subset", "--config", bad])
        #expect(r.status != 0 && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.contains(bad + ":3") && r.stderr.contains("token: unknown key"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/o.jsonl"))
    }

    @Test func everyCurationStepIsReproducedByItsWrittenConfig() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/in.jsonl"
        // Each step run by flags, then again from the OUT.<step>.json it wrote, into another file.
        let steps: [(step: String, args: [String], out: String)] = [
            ("import", ["data", "import", "messages", input, "--limit", "25"], "imported.jsonl"),
            ("language", ["data", "language", dir + "/imported.jsonl", "--keep", "en,fr", "--drop-unknown"], "language.jsonl"),
            ("filter", ["data", "filter", dir + "/language.jsonl", "--min-tokens", "8", "--max-tokens", "9", "--length-of", "conversation"],
             "filtered.jsonl"),
            ("mix", ["data", "mix", "--mix", dir + "/filtered.jsonl:1", "--mix", input + ":2.5", "--tokens", "80", "--seed", "3"], "mixed.jsonl"),
            ("leakage", ["data", "leakage", "--train", dir + "/filtered.jsonl", "--eval", input, "--threshold", "60"], "leakage.jsonl"),
        ]
        for (step, args, out) in steps {
            let first = try mimic(args + ["--out", dir + "/" + out])
            #expect(first.status == 0, "\(step): \(first.stderr)")
            let written = try String(contentsOfFile: dir + "/" + out, encoding: .utf8)
            let count = written.split(separator: "\n").count
            #expect(count > 0 && count < 30, "\(step) kept \(count): \(first.stdout)")
            let again = try mimic(["data", step, "--config", "\(dir)/\(out).\(step).json", "--out", "\(dir)/again-\(out)"])
            #expect(again.status == 0, "\(step): \(again.stderr)")
            #expect(try String(contentsOfFile: "\(dir)/again-\(out)", encoding: .utf8) == written, "\(step)")
        }
        // The filter's bounds and the mix's sources are in the written configs, in snake_case.
        let filter = try String(contentsOfFile: dir + "/filtered.jsonl.filter.json", encoding: .utf8)
        #expect(filter.contains("\"min_tokens\" : 8") && filter.contains("\"length_of\" : \"conversation\""), "\(filter)")
        let mix = try String(contentsOfFile: dir + "/mixed.jsonl.mix.json", encoding: .utf8)
        #expect(mix.contains("\"weight\" : 2.5"), "\(mix)")
    }

    @Test func badCurationConfigsAreOneLineNamingTheField() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "input: \(dir)/in.jsonl\nout: \(dir)/o.jsonl\nlength_of: sentence\n".write(toFile: dir + "/f.yaml", atomically: true, encoding: .utf8)
        let cases: [(args: [String], says: String)] = [
            (["data", "filter", "--config", dir + "/f.yaml"], "length_of: 'sentence' is not one of: query, conversation"),
            (["data", "mix", "--mix", dir + "/in.jsonl:1", "--out", dir + "/o.jsonl"], "tokens: is missing"),
            (["data", "mix", "--mix", dir + "/none.jsonl:1", "--tokens", "5", "--out", dir + "/o.jsonl"], "sources[0].file: is \(dir)/none.jsonl"),
            (["data", "language", dir + "/in.jsonl", "--out", dir + "/o.jsonl", "--keep", "xx"], "keep: CLD2 does not know the language code xx"),
            (["data", "import", "hc3", dir + "/in.jsonl"], "out: is empty"),
            (["data", "leakage", "--train", dir + "/in.jsonl", "--eval", dir + "/in.jsonl", "--out", dir + "/o.jsonl", "--threads", "0"],
             "threads: is 0"),
        ]
        for (args, says) in cases {
            let r = try mimic(args)
            #expect(r.status != 0 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(says), "\(args): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/o.jsonl"))
        }
    }
}
