// ConfigResolver: defaults, then the file, then the environment, then the command line; unknown keys, bad choices
// and wrong types are one error naming the key (and the file's line); a written config reads back to the same run.
import Foundation
import MimicCore
import MimicData
import MimicEval
import MimicStages
import Testing

@Suite struct ConfigResolverTests {
    func file(_ text: String, ext: String = "yaml") throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mimic-config-\(UUID().uuidString).\(ext)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func layersApplyInOrderDefaultsFileEnvironmentCommandLine() throws {
        let path = try file("""
            tasks: [mmlu, nq_open]
            batch_size: 2
            limit: 5
            seed: 7
            data:
              mmlu: /data/mmlu
            """)
        let env = ["MIMIC_EVAL_LIMIT": "9", "MIMIC_EVAL_SEED": "8", "OTHER_LIMIT": "1"]
        let config = try ConfigResolver.resolve(EvalConfig(), file: path, environmentPrefix: "MIMIC_EVAL", environment: env) { c in
            c.seed = 11
        }
        #expect(config.tasks == ["mmlu", "nq_open"])  // file
        #expect(config.batchSize == 2)                 // file over default 8
        #expect(config.limit == 9)                     // environment over file
        #expect(config.seed == 11)                     // command line over environment
        #expect(config.bootstrap == 1000)              // default
        #expect(config.data == ["mmlu": "/data/mmlu"]) // a dictionary keeps the user's keys as written
    }

    @Test func anUnknownKeyNamesItsLineAndTheKnownKeys() throws {
        let path = try file("tasks: [mmlu]\nbatchsize: 2\n")
        do {
            _ = try ConfigResolver.resolve(EvalConfig(), file: path, environmentPrefix: "MIMIC_EVAL")
            Issue.record("an unknown key was accepted")
        } catch let error as ConfigError {
            #expect(error.field == "batchsize" && error.location == path + ":2")
            #expect(error.localizedDescription.contains("unknown key") && error.localizedDescription.contains("batch_size"))
        }
        let nested = try file("generator: replay\nprompts: p.txt\nout: o.jsonl\nclient:\n  concurency: 3\n")
        do {
            _ = try ConfigResolver.resolve(CollectConfig(generator: .replay), file: nested, environmentPrefix: "MIMIC_COLLECT")
            Issue.record("an unknown nested key was accepted")
        } catch let error as ConfigError {
            #expect(error.field == "client.concurency" && error.location == nested + ":5")
            #expect(error.hint?.contains("concurrency") == true)
        }
    }

    @Test func aBadChoiceAndAWrongTypeNameTheField() throws {
        let choice = try file("tasks: [x]\ntoxicity: perspectiv\n")
        do {
            _ = try ConfigResolver.resolve(EvalConfig(), file: choice, environmentPrefix: "MIMIC_EVAL")
            Issue.record("a bad choice was accepted")
        } catch let error as ConfigError {
            #expect(error.field == "toxicity")
            #expect(error.problem == "'perspectiv' is not one of: offline, perspective")
        }
        let type = try file("tasks: [x]\nbatch_size: many\n")
        do {
            _ = try ConfigResolver.resolve(EvalConfig(), file: type, environmentPrefix: "MIMIC_EVAL")
            Issue.record("a string was accepted for a number")
        } catch let error as ConfigError {
            #expect(error.field == "batch_size" && error.problem == "expected a whole number")
        }
        do {
            _ = try ConfigResolver.resolve(EvalConfig(), file: nil, environmentPrefix: "MIMIC_EVAL",
                                           environment: ["MIMIC_EVAL_MODEL": "openai:"])
            Issue.record("an empty remote model was accepted")
        } catch let error as ConfigError {
            #expect(error.field == "model" && error.problem.contains("openai:MODEL"))
        }
    }

    @Test func validationNamesTheFieldAfterEveryLayer() throws {
        do {
            _ = try ConfigResolver.resolve(EvalConfig(), file: nil, environmentPrefix: "MIMIC_EVAL", environment: [:]) { c in
                c.tasks = ["mmlu"]
                c.batchSize = 0
            }
            Issue.record("batch size 0 was accepted")
        } catch let error as ConfigError {
            #expect(error.field == "batch_size")
        }
        do {
            _ = try ConfigResolver.resolve(CollectConfig(generator: .nqSynthetic), file: nil, environmentPrefix: "MIMIC_COLLECT",
                                           environment: [:]) { $0.out = "x.jsonl" }
            Issue.record("nq-synthetic without a count was accepted")
        } catch let error as ConfigError {
            #expect(error.field == "count" && error.problem.contains("nq-synthetic"))
        }
    }

    @Test func aWrittenConfigReadsBackToTheSameConfig() throws {
        var config = CollectConfig(generator: .replay)
        config.teacher = .remote(model: "gpt-4o-mini", baseURL: "http://127.0.0.1:9/v1")
        config.prompts = "prompts.txt"
        config.out = "runs/out.jsonl"
        config.turns = .turnByTurn
        config.client.concurrency = 3
        config.client.budget = 0.5
        config.seed = 42
        config.maxTokens = 99
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("written-\(UUID().uuidString).json").path
        try ConfigResolver.write(config, to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\"max_tokens\" : 99") && text.contains("\"teacher\" : \"openai:gpt-4o-mini@http://127.0.0.1:9/v1\""))
        let back = try ConfigResolver.resolve(CollectConfig(generator: .nqSynthetic), file: path, environmentPrefix: "MIMIC_COLLECT",
                                              environment: [:])
        #expect(back == config)
        // A summary written beside an output (its `config` member) reads the same.
        let summary = try file("{\"config\": \(text), \"report\": {\"records\": 3}}", ext: "json")
        #expect(try ConfigResolver.resolve(CollectConfig(generator: .nqSynthetic), file: summary, environmentPrefix: "X",
                                           environment: [:]) == config)
    }

    /// An option as ArgumentParser's wrappers encode in `mimic` (ConfigFlags.swift): its value, or null when not given.
    struct Given<T: Encodable>: Encodable, ExpressibleByNilLiteral {
        var value: T?
        init(_ value: T?) { self.value = value }
        init(nilLiteral: ()) { value = nil }
        func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            if let value { try c.encode(value) } else { try c.encodeNil() }
        }
    }

    /// A command line: options named as the config's keys and a group of them.
    struct Flags: Encodable {
        struct Group: Encodable { var batchSize: Given<Int> }
        var limit: Given<Int>
        var seed: Given<UInt64>
        var group: Group
        var json: Given<Bool>
    }

    @Test func flagsOverTheEnvironmentNilLeftOutUnknownIsABug() throws {
        let path = try file("tasks: [mmlu]\nlimit: 5\nseed: 7\nbatch_size: 2\n")
        let env = ["MIMIC_EVAL_SEED": "8"]
        var flags = Flags(limit: nil, seed: Given(9), group: .init(batchSize: Given(3)), json: nil)
        let config = try ConfigResolver.resolve(EvalConfig(), file: path, environmentPrefix: "MIMIC_EVAL", environment: env,
                                                flags: flags, except: ["json"]) { c in c.out = "o.json" }
        #expect(config.limit == 5)          // not given: the file's
        #expect(config.seed == 9)           // the flag over the environment
        #expect(config.batchSize == 3)      // a group's member at the top
        #expect(config.out == "o.json")     // the closure last
        flags.json = Given(true)
        do {
            _ = try ConfigResolver.resolve(EvalConfig(), file: path, environmentPrefix: "MIMIC_EVAL", environment: [:], flags: flags)
            Issue.record("an option with no config key was accepted")
        } catch let error as ConfigError {
            #expect(error.field == "json" && error.problem.contains("no key"))
        }
        flags.json = nil   // still a bug when not given: every run checks every option's name
        #expect(throws: ConfigError.self) {
            try ConfigResolver.resolve(EvalConfig(), file: path, environmentPrefix: "MIMIC_EVAL", environment: [:], flags: flags)
        }
    }
    /// A repeatable option not given encodes as an empty list: it leaves the file's list alone; one given replaces it.
    @Test func anEmptyRepeatableOptionIsNotGiven() throws {
        struct ListFlags: Encodable { var tasks: [String] }
        let path = try file("tasks: [mmlu, nq_open]\n")
        let kept = try ConfigResolver.resolve(EvalConfig(), file: path, environmentPrefix: "MIMIC_EVAL", environment: [:],
                                              flags: ListFlags(tasks: []))
        #expect(kept.tasks == ["mmlu", "nq_open"])
        let replaced = try ConfigResolver.resolve(EvalConfig(), file: path, environmentPrefix: "MIMIC_EVAL", environment: [:],
                                                  flags: ListFlags(tasks: ["gsm8k"]))
        #expect(replaced.tasks == ["gsm8k"])
    }

    /// Every stage takes a thread count by one rule: 1 to 1024, or none for every core; the error names the field.
    @Test func threadCountsFollowOneRule() throws {
        let input = NSTemporaryDirectory() + "mimic-threads-\(UUID().uuidString).jsonl"
        try Data().write(to: URL(fileURLWithPath: input))
        defer { try? FileManager.default.removeItem(atPath: input) }
        var valid = DataDedupConfig()
        valid.input = input
        valid.out = input + ".out"
        try valid.validate()  // so the threads below are what fails
        for bad in [0, -3, 1025] {
            #expect(throws: ConfigError(field: "threads", problem: "is \(bad)", hint: "a thread count from 1 to 1024")) {
                try ConfigError.requireThreads(bad)
            }
            var generate = GenerateConfig()
            generate.prompt = "Hi"
            generate.threads = bad
            #expect(throws: ConfigError(field: "threads", problem: "is \(bad)", hint: "a thread count from 1 to 1024")) {
                try generate.validate()
            }
            var dedup = DataDedupConfig()
            dedup.input = input
            dedup.out = input + ".out"
            dedup.threads = bad
            #expect(throws: ConfigError(field: "threads", problem: "is \(bad)", hint: "a thread count from 1 to 1024")) {
                try dedup.validate()
            }
        }
        for good in [nil, 1, 2, 1024] { try ConfigError.requireThreads(good) }
        // A range's message is made from the range itself.
        #expect(throws: ConfigError(field: "prompt", problem: "must be between 0 and 1048576 tokens")) {
            try ConfigError.require(-1, in: 0...(1 << 20), "prompt", unit: "tokens")
        }
        #expect(throws: ConfigError(field: "repetitions", problem: "must be between 1 and 1000")) {
            var bench = BenchConfig()
            bench.repetitions = 1001
            try bench.validate()
        }
        try ConfigError.require(1 << 20, in: 0...(1 << 20), "prompt")
    }
}
