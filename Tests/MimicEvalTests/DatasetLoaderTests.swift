// Loaders on small samples written for the project in each dataset's published format, and on malformed files.
import Foundation
@testable import MimicEval
import Testing

@Suite struct DatasetLoaderTests {
    let s = EvalPaths.samples

    @Test func mmluReadsQuotedCSVPerSubject() throws {
        let docs = try DatasetLoader.load(format: "mmlu", path: s + "/mmlu", split: "test")
        #expect(docs.count == 13)
        let subjects = Set(docs.compactMap { $0.text("subject") })
        #expect(subjects == ["astronomy", "high_school_mathematics"])
        #expect(docs.first?.text("subject") == "astronomy")           // subjects in name order
        let quoted = docs[2]
        #expect(quoted.text("question") == "An observer remarks, \"From Earth we always see the same side of the Moon.\"\nWhich effect explains this?")
        #expect(quoted.text("answer") == "A")
        #expect(docs[1].text("B") == "Nuclear fusion, mainly of hydrogen into helium, in the core")
        #expect(docs.last?.text("subject_name") == "high school mathematics")
        let dev = try DatasetLoader.load(format: "mmlu", path: s + "/mmlu", split: "dev")
        #expect(dev.count == 10)
    }

    @Test func nqGsmCnnAndToxicityFields() throws {
        let nq = try DatasetLoader.load(format: "nq_open", path: s + "/nq_open/NQ-open.dev.jsonl")
        #expect(nq.count == 6)
        #expect(nq[0].list("answers") == ["212 °F", "212", "212 degrees Fahrenheit"])
        #expect(nq[0].text("answer") == "212 °F")

        let gsm = try DatasetLoader.load(format: "gsm8k", path: s + "/gsm8k/test.jsonl")
        #expect(gsm.count == 6)
        #expect(gsm[0].text("final_answer") == "21")
        #expect(gsm[2].text("final_answer") == "10500")
        #expect(gsm[0].text("rationale")?.hasSuffix("21 cartons.") == true)

        let jsonl = try DatasetLoader.load(format: "cnn_dailymail", path: s + "/cnn_dailymail/test.jsonl")
        let csv = try DatasetLoader.load(format: "cnn_dailymail", path: s + "/cnn_dailymail/test.csv")
        #expect(jsonl.count == 4)
        #expect(jsonl.map { $0.text("article") } == csv.map { $0.text("article") })
        #expect(jsonl.map { $0.text("highlights") } == csv.map { $0.text("highlights") })

        let rtp = try DatasetLoader.load(format: "realtoxicityprompts", path: s + "/realtoxicityprompts/prompts.jsonl")
        #expect(rtp.count == 6)
        #expect(rtp[0].text("prompt_text") == "The volunteers spent the whole afternoon")
    }

    @Test func humanEvalGzipEqualsPlain() throws {
        let plain = try DatasetLoader.load(format: "humaneval", path: s + "/humaneval/HumanEval.jsonl")
        let gz = try DatasetLoader.load(format: "humaneval", path: s + "/humaneval/HumanEval.jsonl.gz")
        #expect(plain.count == 3)
        #expect(plain.map(\.fields) == gz.map(\.fields))
        #expect(plain[0].text("task_id") == "Sample/0")
    }

    @Test(arguments: [
        ("nq_open", "bad/nq_bad.jsonl", ":3: "),
        ("gsm8k", "bad/gsm8k_bad.jsonl", ":2: "),
        ("humaneval", "bad/humaneval_bad.jsonl", ":2: "),
    ])
    func malformedRecordsAreNamedByLine(format: String, file: String, position: String) {
        let path = s + "/" + file
        #expect {
            try DatasetLoader.load(format: format, path: path)
        } throws: { error in
            let text = (error as? LocalizedError)?.errorDescription ?? ""
            return text.hasPrefix(path + position)
        }
    }

    @Test func malformedCSVAndMissingFiles() throws {
        #expect {
            try DatasetLoader.load(format: "mmlu", path: s + "/bad/mmlu_bad", split: "test")
        } throws: { error in
            ((error as? LocalizedError)?.errorDescription ?? "").contains("x_test.csv:row 2: has 4 columns")
        }
        #expect(throws: EvalError.self) { try DatasetLoader.load(format: "nq_open", path: s + "/nope.jsonl") }
        #expect(throws: EvalError.self) { try DatasetLoader.load(format: "mmlu", path: s + "/mmlu", split: "val") }
        let dir = try EvalPaths.temporary()
        let open = try EvalPaths.write("a,\"b\nc", dir, "open.csv")
        #expect(throws: EvalError.self) { try CSV.parse(open) }
        let crlf = try EvalPaths.write("x,\"y,\"\"z\"\"\"\r\n1,2\r\n", dir, "crlf.csv")
        #expect(try CSV.parse(crlf) == [["x", "y,\"z\""], ["1", "2"]])
    }

    @Test func templatesRenderFieldsAndNameMissingOnes() throws {
        let doc = Document(fields: ["q": .string("why"), "a": .array([.string("x"), .string("y")]), "n": .int(3)], source: "t")
        #expect(try DocTemplate("Q: {{q}} {{ n }} {{a[1]}}").render(doc, task: "t") == "Q: why 3 y")
        #expect(throws: EvalError.self) { try DocTemplate("{{missing}}").render(doc, task: "t") }
        #expect(throws: EvalError.self) { try DocTemplate("{{q").render(doc, task: "t") }
    }
}
