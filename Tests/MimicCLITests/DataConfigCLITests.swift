// `mimic data subset/split` as stages: a written summary given to --config reproduces the output byte for byte; an
// unknown config key is one error line naming it; unknown record fields pass through the CLI unchanged.
import Foundation
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
        // Every line written is a line of the input, unknown fields included (keys sorted as the input's are).
        let input = try String(contentsOfFile: dir + "/in.jsonl", encoding: .utf8)
        for line in a.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? NSDictionary
            let inputs = try input.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? NSDictionary }
            let matches = inputs.contains { $0 == object }
            #expect(matches, "\(line)")
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
}
