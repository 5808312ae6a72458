// Task files: every shipped task loads, include merges, and bad files get errors naming the file and field.
import Foundation
@testable import MimicEval
import Synchronization
import Testing

@Suite struct TaskConfigTests {
    @Test func everyShippedTaskLoads() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: EvalPaths.tasks).filter { $0.hasSuffix(".yaml") }
        #expect(names.count >= 9)
        for name in names {
            let task = try EvalTask.load(path: EvalPaths.tasks + "/" + name)
            #expect(task.version >= 1)
            #expect(!task.metricList.isEmpty)
        }
        let expected = ["nq_open", "mmlu", "gsm8k_cot", "humaneval", "cnn_dailymail", "realtoxicityprompts"]
        for name in expected { _ = try EvalTask.resolve(name, directories: [EvalPaths.tasks]) }
        #expect(try EvalTask.resolve("humaneval", directories: [EvalPaths.tasks]).unsafeCode == true)
    }

    @Test func includeMergesAndOverrides() throws {
        let base = try EvalTask.resolve("nq_open", directories: [EvalPaths.tasks])
        let chat = try EvalTask.resolve("nq_open_chat", directories: [EvalPaths.tasks])
        #expect(chat.task == "nq_open_chat")
        #expect(chat.chatTemplate == true)
        #expect(base.chatTemplate != true)
        #expect(chat.dataset == base.dataset)
        #expect(chat.docToText == base.docToText)

        let dir = try EvalPaths.temporary()
        try EvalPaths.write("task: a\nversion: 1\ndataset: {format: jsonl, path: x.jsonl, split: test}\noutput_type: generate_until\ndoc_to_text: '{{q}}'\ndoc_to_target: '{{a}}'\nmetric_list: [{metric: exact_match}]\ngeneration: {max_tokens: 5, until: [x]}\n", dir, "a.yaml")
        try EvalPaths.write("include: a.yaml\ntask: b\ndataset: {path: y.jsonl}\ngeneration: {max_tokens: 9}\n", dir, "b.yaml")
        let b = try EvalTask.load(path: dir + "/b.yaml")
        #expect(b.task == "b")
        #expect(b.dataset.path == "y.jsonl")
        #expect(b.dataset.format == "jsonl")        // nested maps merge key by key
        #expect(b.dataset.split == "test")
        #expect(b.generation?.maxTokens == 9)
        #expect(b.generation?.until == ["x"])
    }

    @Test(arguments: [
        ("task: a\nversion: 1\ndataset: {format: jsonl, path: x}\noutput_type: generate_until\nmetric_list: [{metric: exact_match}]\n", "doc_to_text"),
        ("task: a\nversion: 1\ndataset: {format: jsonl, path: x}\noutput_type: generate_until\ndoc_to_text: q\nmetric_list: [{metric: accuracy}]\n", "metric_list[0].metric"),
        ("task: a\nversion: 1\ndataset: {format: jsonl, path: x}\noutput_type: generate_until\ndoc_to_text: q\nmetric_list: [{metric: acc}]\n", "metric_list[0].metric"),
        ("task: a\nversion: one\ndataset: {format: jsonl, path: x}\noutput_type: generate_until\ndoc_to_text: q\nmetric_list: [{metric: bleu}]\n", "version"),
        ("task: a\nversion: 1\ndataset: {format: parquet, path: x}\noutput_type: generate_until\ndoc_to_text: q\ndoc_to_target: a\nmetric_list: [{metric: bleu}]\n", "dataset.format"),
        ("task: a\nversion: 1\ndataset: {format: jsonl, path: x}\noutput_type: multiple_choice\ndoc_to_text: q\nmetric_list: [{metric: acc}]\n", "doc_to_choice"),
        ("task: a\nversion: 1\ndataset: {format: jsonl, path: x}\noutput_type: generate_until\ndoc_to_text: q\ndoc_to_target: a\nmetric_list: [{metric: bleu}]\nfilters: [{name: f, steps: [{function: regex, pattern: '('}]}]\n", "filters[0].steps[0]"),
        ("task: a\nversion: 1\ndataset: {format: jsonl, path: x}\noutput_type: generate_until\ndoc_to_text: q\nmetric_list: [{metric: bleu}]\n", "doc_to_target"),
        ("task: a\nversion: 1\ndataset: {format: jsonl, path: x}\noutput_type: generate_until\ndoc_to_text: q\ndoc_to_target: a\ngeneration_kwargs: {max_gen_toks: 5}\nmetric_list: [{metric: bleu}]\n", "generation_kwargs"),
        ("task: a\nversion: 1\ndataset: {format: jsonl, path: x}\noutput_type: generate_until\ndoc_to_text: '{{q[-1]}}'\ndoc_to_target: a\nmetric_list: [{metric: bleu}]\n", "doc_to_text"),
        ("task: a\nversion: 1\ndataset: {format: jsonl, path: x}\noutput_type: generate_until\ndoc_to_text: q\ndoc_to_target: a\ndescription: 2024-01-01\nmetric_list: [{metric: bleu}]\n", "YAML"),
        ("task: [a\n", "YAML"),
    ])
    func badTaskFilesNameTheField(yaml: String, field: String) throws {
        let dir = try EvalPaths.temporary()
        let path = try EvalPaths.write(yaml, dir, "bad.yaml")
        #expect {
            try EvalTask.load(path: path)
        } throws: { error in
            let text = (error as? LocalizedError)?.errorDescription ?? ""
            return text.hasPrefix(path) && text.contains("'\(field)'")
        }
    }

    /// Task files are untrusted input: a YAML alias bomb, absurd sample counts and token limits, and prompt or
    /// few-shot files outside the task's folder are each one clear error, at once.
    @Test func hostileTaskFilesAreRefusedQuickly() throws {
        let dir = try EvalPaths.temporary()
        let base = "task: t\nversion: 1\ndataset: {format: jsonl, path: x.jsonl}\noutput_type: generate_until\n"
            + "doc_to_text: '{{q}}'\ndoc_to_target: '{{a}}'\nmetric_list: [{metric: exact_match}]\n"
        // Each load runs on its own thread and must answer within 5 s: a check that hangs fails the test instead of
        // hanging it.
        func error(_ text: String) throws -> String {
            try EvalPaths.write(text, dir, "t.yaml")
            let answer = Mutex<String?>(nil), done = DispatchSemaphore(value: 0)
            let path = dir + "/t.yaml"
            Thread.detachNewThread {
                let text: String
                do {
                    _ = try EvalTask.load(path: path)
                    text = "loaded"
                } catch {
                    text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
                }
                answer.withLock { $0 = text }
                done.signal()
            }
            guard done.wait(timeout: .now() + 5) == .success, let text = answer.withLock({ $0 }) else {
                Issue.record("not refused within 5 s")
                return "timed out"
            }
            return text
        }
        // Nine levels of nine aliases: 9^9 (387 million) strings when built.
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
        for level in 1...8 {
            let previous = "*" + String(UnicodeScalar(UInt8(96 + level)))
            bomb += "\(String(UnicodeScalar(UInt8(97 + level)))): &\(String(UnicodeScalar(UInt8(97 + level)))) ["
                + Array(repeating: previous, count: 9).joined(separator: ", ") + "]\n"
        }
        let exploded = try error(base + "doc_to_choice_bomb:\n" + bomb.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n")
        #expect(exploded.contains("more than \(YAMLGuard.maxNodes)"), "\(exploded)")
        // The same bomb used as a mapping key, plain and explicit: Yams hashes keys while it composes, so these must
        // be refused before composing (they took exponential time inside Yams before).
        let indented = bomb.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
        for key in ["*i : 1", "? *i\n  : 1", "[*i, *i] : 1"] {
            let keyed = try error(base + "doc_to_choice_bomb:\n" + indented + "  " + key + "\n")
            #expect(keyed.contains("more than \(YAMLGuard.maxNodes)") || keyed.contains("key must be plain text"),
                    "\(key): \(keyed)")
        }
        // A list of 9^5 values (within the budget) used as a key through its alias: refused as a key, at once.
        let five = bomb.split(separator: "\n").prefix(5).map { "  " + $0 }.joined(separator: "\n") + "\n"
        for key in ["*e : 1", "? *e\n  : 1"] {
            let keyed = try error(base + "doc_to_choice_bomb:\n" + five + "  " + key + "\n")
            #expect(keyed.contains("key must be plain text"), "\(key): \(keyed)")
        }
        // Nesting reached through aliases counts: 40 levels inside an anchor of 40 levels is 80.
        let deep = "outer: &d " + String(repeating: "[", count: 40) + "x" + String(repeating: "]", count: 40) + "\n"
            + "inner: " + String(repeating: "[", count: 40) + "*d" + String(repeating: "]", count: 40) + "\n"
        let nested = try error(base + "doc_to_choice_deep:\n" + deep.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n")
        #expect(nested.contains("nests deeper than \(YAMLGuard.maxDepth)"), "\(nested)")
        // One long string repeated through aliases: 2000 × 64 KB is 128 MB of text from a file of 70 KB.
        let long = "s: &s " + String(repeating: "z", count: 64 << 10) + "\nl: [" + Array(repeating: "*s", count: 2000).joined(separator: ", ") + "]\n"
        let grown = try error(base + "doc_to_choice_long:\n" + long.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n")
        #expect(grown.contains("MB of text"), "\(grown.prefix(300))")
        // A list or mapping as a key, even a small one, is refused with its line (Yams stops the program on it).
        for key in ["[a, b]: 1", "{a: 1}: 2", "? [a]\n: 1", "l: &l [a]\n*l : 1"] {
            let keyed = try error(base + key + "\n")
            #expect(keyed.contains("key must be plain text") && keyed.contains("line "), "\(key): \(keyed)")
        }
        // Aliases within bounds, keys included, pass the guard and reach the key check.
        let fine = try error(base + "doc_to_choice_extra:\n  a: &a x\n  b: [*a, *a]\n  *a : 2\n")
        #expect(fine.contains("doc_to_choice_extra") && fine.contains("is not a task key"), "\(fine)")
        let samples = try error(base + "generation: {samples: 100000000, temperature: 0.8}\n")
        #expect(samples.contains("generation.samples") && samples.contains("between 1 and"), "\(samples)")
        let tokens = try error(base + "generation: {max_tokens: 1e12}\n")
        #expect(tokens.contains("generation.max_tokens"), "\(tokens)")
        let passK = try error(base.replacingOccurrences(of: "[{metric: exact_match}]", with: "[{metric: pass_at_k, k: 100000000}]")
                              + "generation: {temperature: 0.8}\n")
        #expect(passK.contains("metric_list") && !passK.hasPrefix("loaded"), "\(passK)")
        for (field, value) in [("prompt_file", "/etc/shadow"), ("prompt_file", "../../etc/passwd")] {
            let outside = try error(base + "\(field): \(value)\n")
            #expect(outside.contains("'\(field)'") && outside.contains("outside the task's folder"), "\(outside)")
        }
        let fewshot = try error(base.replacingOccurrences(of: "path: x.jsonl}", with: "path: x.jsonl, fewshot_path: /etc/passwd}"))
        #expect(fewshot.contains("dataset.fewshot_path") && fewshot.contains("outside the task's folder"), "\(fewshot)")
        // A symlink inside the folder that points outside it is outside too.
        try? FileManager.default.removeItem(atPath: dir + "/link.txt")
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.txt", withDestinationPath: "/etc/hostname")
        let linked = try error(base + "prompt_file: link.txt\n")
        #expect(linked.contains("outside the task's folder"), "\(linked)")
        // Inside the folder is fine.
        try EvalPaths.write("Fixed text.\n", dir, "prompt.txt")
        #expect(try error(base + "prompt_file: prompt.txt\n") == "loaded")
    }

    @Test func includeCycleIsAnError() throws {
        let dir = try EvalPaths.temporary()
        try EvalPaths.write("include: b.yaml\ntask: a\n", dir, "a.yaml")
        try EvalPaths.write("include: a.yaml\ntask: b\n", dir, "b.yaml")
        #expect(throws: EvalError.self) { try EvalTask.load(path: dir + "/a.yaml") }
        #expect(throws: EvalError.self) { try EvalTask.resolve("no_such_task", directories: [EvalPaths.tasks]) }
    }
}
