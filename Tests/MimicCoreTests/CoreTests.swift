// MimicCore: model references parse one way everywhere; atomic writes leave the old file or the new one; the
// JSON Lines reader's one bad-line policy; the progress reporter's plain lines; config choices name the allowed values.
import Foundation
import MimicCore
import MimicTestSupport
import Testing

@Suite struct ModelRefTests {
    @Test func bareNamesAndPathsAreLocalOpenAIPrefixIsRemote() throws {
        #expect(try ModelRef(parsing: "smollm2-135m-instruct") == .local("smollm2-135m-instruct"))
        #expect(try ModelRef(parsing: "runs/demo/model") == .local("runs/demo/model"))
        #expect(try ModelRef(parsing: "local:x.gguf") == .local("x.gguf"))
        #expect(try ModelRef(parsing: "openai:gpt-4o-mini") == .remote(model: "gpt-4o-mini", baseURL: nil))
        #expect(try ModelRef(parsing: "openai:m@http://127.0.0.1:8080/v1") == .remote(model: "m", baseURL: "http://127.0.0.1:8080/v1"))
    }

    @Test func textFormRoundTrips() throws {
        for text in ["local:a", "openai:m", "openai:m@http://h:1/v1"] {
            #expect(try ModelRef(parsing: text).description == text)
            let json = try JSONEncoder().encode(try ModelRef(parsing: text))
            #expect(try JSONDecoder().decode(ModelRef.self, from: json) == ModelRef(parsing: text))
        }
    }

    @Test func emptyPartsAreErrorsThatSayWhatToWrite() {
        for text in ["", "local:", "openai:", "openai:@http://x", "openai:m@"] {
            #expect(throws: ModelRefError.self) { try ModelRef(parsing: text) }
        }
        do { _ = try ModelRef(parsing: "openai:") } catch { #expect(error.localizedDescription.contains("openai:MODEL")) }
    }

    @Test func defaultBaseURLFillsOnlyARemoteWithoutOne() throws {
        #expect(ModelRef.remote(model: "m", baseURL: nil).withDefaultBaseURL("u") == .remote(model: "m", baseURL: "u"))
        #expect(ModelRef.remote(model: "m", baseURL: "v").withDefaultBaseURL("u") == .remote(model: "m", baseURL: "v"))
        #expect(ModelRef.local("m").withDefaultBaseURL("u") == .local("m"))
    }
}

@Suite struct AtomicFileTests {
    func scratch() throws -> String {
        try Scratch.folder("mimic-core").path
    }

    @Test func aFailedWriteLeavesTheOldFileAndNoTemporary() throws {
        let dir = try scratch(), path = dir + "/a.txt"
        try AtomicFile.write(Data("old".utf8), to: path)
        struct Boom: Error {}
        #expect(throws: RecordFileError.self) {
            try AtomicFile.write(to: path) { handle in
                try handle.write(contentsOf: Data("half".utf8))
                throw Boom()
            }
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["a.txt"])
    }

    @Test func aMissingFolderIsAnErrorNamingTheFile() {
        let path = "/nonexistent-\(UUID().uuidString)/x.json"
        do {
            try AtomicFile.write(Data("x".utf8), to: path)
            Issue.record("wrote into a missing folder")
        } catch {
            #expect(error.localizedDescription.contains(path))
        }
    }

    @Test func writerReplacesOnlyOnFinish() throws {
        let dir = try scratch(), url = URL(fileURLWithPath: dir + "/r.jsonl")
        try AtomicFile.write(Data("{\"old\":1}\n".utf8), to: url)
        do {
            let writer = try JSONLinesWriter(url: url)
            try writer.write(["new": 1])
            // Dropped without finish(): the old content stays and the temporary goes.
        }
        #expect(try String(contentsOf: url, encoding: .utf8) == "{\"old\":1}\n")
        let writer = try JSONLinesWriter(url: url)
        try writer.write(["b": 2, "a": 1])
        try writer.finish()
        #expect(try String(contentsOf: url, encoding: .utf8) == "{\"a\":1,\"b\":2}\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["r.jsonl"])
    }
}

@Suite struct JSONLinesTests {
    struct Row: Codable, Equatable { var id: Int }

    @Test func skipCountsBadLinesFailNamesTheLine() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rows-\(UUID().uuidString).jsonl")
        try Data("{\"id\":1}\n\n{\"id\":\"x\"}\nnot json\r\n{\"id\":4}".utf8).write(to: url)
        var rows: [Int] = []
        let report = try JSONLines.forEach(Row.self, in: url, policy: .skip) { row, line in rows.append(row.id * 10 + line) }
        #expect(rows == [11, 45])
        #expect(report.items == 2 && report.malformed == 2 && report.lines == 5)
        #expect(report.problems.first?.contains(":3: wrong type at id") == true)
        do {
            _ = try JSONLines.forEach(Row.self, in: url) { _, _ in }
            Issue.record("a bad line passed under .fail")
        } catch RecordFileError.malformedLine(let file, let line, let problem) {
            #expect(file == url.path && line == 3 && problem.hasPrefix("wrong type at id"))
        }
    }
}

@Suite struct ProgressReporterTests {
    final class Sink: @unchecked Sendable {
        let lock = NSLock()
        var text = ""
        func add(_ s: String) { lock.withLock { text += s } }
    }

    @Test func plainLinesCarryCountsRateAndFinishTheStage() {
        let sink = Sink()
        let progress = ProgressReporter(mode: .lines, interval: 3600, write: sink.add)
        progress.update("replay", done: 1, total: 4, unit: "requests", detail: "cached 0")
        progress.update("replay", done: 2, total: 4, unit: "requests")  // within the interval: not printed
        progress.update("replay", done: 4, total: 4, unit: "requests")  // the end always is
        progress.note("done")
        let lines = sink.text.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(lines)")
        #expect(lines[0].hasPrefix("replay  [######..................]  1/4 requests  cached 0  "))
        #expect(lines[1].hasPrefix("replay  [########################]  4/4 requests  "))
        #expect(lines[2] == "done")
    }

    @Test func silentPrintsNothing() {
        let sink = Sink()
        let progress = ProgressReporter(mode: .silent, write: sink.add)
        progress.update("x", done: 1, total: 1)
        progress.note("y")
        progress.finish()
        #expect(sink.text.isEmpty)
    }
}

@Suite struct ConfigChoiceTests {
    enum Decay: String, ConfigChoice { case constant, linear, cosine }
    struct Holder: Codable { var decay: Decay }

    @Test func anUnknownValueNamesTheAllowedOnes() throws {
        #expect(try JSONDecoder().decode(Holder.self, from: Data("{\"decay\":\"linear\"}".utf8)).decay == .linear)
        do {
            _ = try JSONDecoder().decode(Holder.self, from: Data("{\"decay\":\"cosin\"}".utf8))
            Issue.record("decoded an unknown choice")
        } catch DecodingError.dataCorrupted(let context) {
            #expect(context.debugDescription == "'cosin' is not one of: constant, linear, cosine")
            #expect(context.codingPath.map(\.stringValue) == ["decay"])
        }
    }
}
