// lm-evaluation-harness 0.4.13 (`local-completions`, the server's own tokenizer through /tokenize) against `mimic
// serve`: on a multiple-choice task written for the project (the quickstart's 24-question probe), its accuracy and
// every choice's log-likelihood must equal `mimic eval`'s on the same model. This is how a user would cross-check
// Mimic with the field's standard harness; it went wrong when the server sent no generated entry after the prompt
// (lm-eval drops the last entry as the generated one). Needs $CACHE/venvs/clients and SmolLM2.
import Foundation
import MimicEval
import MimicModels
import MimicServer
import MimicTestSupport
import Testing

@Suite(.requires(.clients), .requires(.smolLM2), .serialized) struct LMEvalHarnessTests {
    @Test func lmEvalThroughMimicServeScoresAsMimicEvalDoes() async throws {
        let python = try FetchedAsset.clients.require()
        let model = try FetchedAsset.smolLM2.require()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let data = root + "/examples/quickstart/probe.jsonl"
        let dir = try Scratch.folder("mimic-lm-eval").path
        defer { Scratch.remove(URL(fileURLWithPath: dir)) }

        // Mimic's own evaluation of the task.
        var config = EvalConfig()
        config.model = .local(model)
        config.tasks = ["probe"]
        config.tasksDir = root + "/examples/quickstart/tasks"
        config.data = ["probe": data]
        config.out = dir + "/mimic.json"
        config.noCache = true
        config.bootstrap = 0
        let mimic = try #require(try await EvalRun.run(config).results.first)
        let mine = Dictionary(uniqueKeysWithValues: mimic.samples.map { ($0.docIndex, $0) })

        // The same task as lm-eval declares it.
        try FileManager.default.createDirectory(atPath: dir + "/tasks", withIntermediateDirectories: true)
        try """
        task: mimic_probe
        dataset_path: json
        dataset_kwargs:
          data_files: {test: \(data)}
        test_split: test
        output_type: multiple_choice
        doc_to_text: "Question: {{question}}\\nAnswer:"
        doc_to_choice: "{{choices}}"
        doc_to_target: answer
        metric_list:
          - metric: acc
          - metric: acc_norm
        """.write(toFile: dir + "/tasks/mimic_probe.yaml", atomically: true, encoding: .utf8)

        let server = try await LocalServer.start(modelAt: model, configuration: ServerConfiguration(port: 0, modelName: "smollm2-135m-instruct"))
        let run: ChildOutput
        do {
            run = try await ChildProcess.run(python, [
                "-m", "lm_eval", "--model", "local-completions",
                "--model_args", "base_url=\(server.baseURL)/completions,model=smollm2-135m-instruct,tokenizer_backend=remote,"
                    + "tokenized_requests=True,num_concurrent=1,max_retries=1",
                "--tasks", "mimic_probe", "--include_path", dir + "/tasks", "--batch_size", "1",
                "--log_samples", "--output_path", dir + "/out",
            ], environment: ["HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HOME": dir + "/hf",
                             "HF_DATASETS_CACHE": dir + "/hf/datasets", "OPENAI_API_KEY": "unused"], directory: dir)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
        try #require(run.status == 0, "lm_eval failed: \(run.stderr.suffix(3000))")

        // Its per-sample file: each choice's log-likelihood (as text) and the accuracy per document.
        let files = FileManager.default.enumerator(atPath: dir + "/out")?.compactMap { $0 as? String } ?? []
        let samplesFile = try #require(files.first { $0.hasSuffix(".jsonl") && $0.contains("samples_mimic_probe") }, "\(files)")
        let lines = try String(contentsOfFile: dir + "/out/" + samplesFile, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == mine.count && lines.count == 24)
        var worst = 0.0, theirCorrect = 0.0, compared = 0
        for line in lines {
            let sample = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let doc = try #require(sample["doc_id"] as? Int)
            let responses = try #require(sample["filtered_resps"] as? [[Any]])
            let theirs = responses.compactMap { ($0.first as? String).flatMap(Double.init) ?? ($0.first as? Double) }
            let ours = try #require(mine[doc]?.loglikelihoods)
            #expect(theirs.count == ours.count, "doc \(doc)")
            for (a, b) in zip(theirs, ours) {
                worst = max(worst, abs(a - b))
                compared += 1
            }
            let acc = (sample["acc"] as? Double) ?? Double(sample["acc"] as? Int ?? -1)
            #expect(acc == mine[doc]?.metrics["acc,none"], "doc \(doc): lm-eval acc \(acc), mimic \(mine[doc]?.metrics ?? [:])")
            theirCorrect += acc
        }
        print("lm-eval vs mimic eval: \(compared) log-likelihoods, largest difference \(worst)")
        #expect(compared == 96 && worst < 1e-4, "largest difference \(worst)")
        #expect(theirCorrect / Double(lines.count) == mimic.metrics["acc,none"]?.value)
    }
}
