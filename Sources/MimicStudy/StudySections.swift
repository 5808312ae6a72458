// The manifest's train and eval sections resolved against the stage configs they configure, with the keys that
// are the study's own (`backend`, `command`, `preset`; `prompts`, `answer_tokens`) taken out first.
import Foundation
import MimicCore
import MimicEval
import MimicRate
import MimicStages
import MimicTeacher
import MimicTrain

extension JSONValue {
    /// The value at a key path (`data[0].collect`), nil when there is none.
    func at(_ path: String) -> JSONValue? {
        var value: JSONValue? = self
        for part in path.split(separator: ".") {
            var name = Substring(part)
            var indices: [Int] = []
            while let open = name.lastIndex(of: "["), name.hasSuffix("]"), let i = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) {
                indices.insert(i, at: 0)
                name = name[..<open]
            }
            if case .object(let object)? = value { value = object[String(name)] } else { return nil }
            for i in indices {
                guard case .array(let array)? = value, array.indices.contains(i) else { return nil }
                value = array[i]
            }
        }
        return value
    }

    /// The object without `keys` (the section's own keys), and the values taken out.
    func removing(_ keys: [String]) -> (JSONValue, [String: JSONValue]) {
        guard case .object(var object) = self else { return (self, [:]) }
        var taken: [String: JSONValue] = [:]
        for key in keys { taken[key] = object.removeValue(forKey: key) }
        return (.object(object), taken)
    }
}

/// Where students are trained: Mimic's engine, or a command (a distributed trainer) given the data in TRL's
/// conversational JSONL.
public enum TrainBackend: String, ConfigChoice {
    case engine
    case command
}

/// The resolved `train` section.
struct TrainSection {
    var backend = TrainBackend.engine
    var command: String?
    var checkpoint: String?
    var config: TrainConfig

    /// The stage output's name in its folder: the engine's `model` or the command's checkpoint.
    var output: String { backend == .engine ? "model" : "checkpoint" + (checkpoint.map { "/" + $0 } ?? "") }

    init(file: StudyFile, at: String, manifestFolder: String) throws {
        let (tree, own) = (file.tree.at(at) ?? .object([:])).removing(["backend", "command", "checkpoint", "preset"])
        if let text = try file.string(own["backend"], at + ".backend") {
            guard let b = TrainBackend(rawValue: text) else { throw file.error(at + ".backend", "is '\(text)'", hint: TrainBackend.choices) }
            backend = b
        }
        command = try file.string(own["command"], at + ".command")
        checkpoint = try file.string(own["checkpoint"], at + ".checkpoint")
        var defaults = TrainConfig(model: "", data: "", out: "")
        if let text = try file.string(own["preset"], at + ".preset") {
            guard let preset = TrainPreset(rawValue: text) else { throw file.error(at + ".preset", "is '\(text)'", hint: TrainPreset.choices) }
            defaults.train = preset.options
        }
        config = try ConfigResolver.resolve(defaults, section: tree, at: at, file: file.path, lines: file.lines,
                                            reserved: ["model", "data", "out"])
        if tree.at("train.seed") == nil { config.train.seed = file.manifest.seed ?? 0 }
        if backend == .command {
            guard let command, !command.isEmpty else {
                throw file.error(at + ".command", "is missing", hint: "the trainer's command line, with {data}, {model} and {out}")
            }
        } else if command != nil {
            throw file.error(at + ".command", "is given but backend is engine", hint: "set backend: command, or leave command out")
        }
        try file.check(config, at: at) { c in
            c.model = "student"
            c.data = file.path
            c.out = "out"
        }
    }

    /// The stage that trains `model` on `data` into `folder`.
    func work(model: String, data: String, folder: String) throws -> StudyWork {
        switch backend {
        case .engine:
            var c = config
            c.model = model
            c.data = data
            c.out = folder
            return .train(c)
        case .command:
            return .externalTrain(command: command ?? "", source: data, data: folder + "/train.jsonl", model: model, out: folder + "/checkpoint",
                                  checkpoint: folder + "/" + output)
        }
    }
}

/// The resolved `eval`, `judge` and `style` sections.
struct EvalSection {
    /// The benchmarks' config (model, tasks, out and cache set per stage).
    var config = EvalConfig()
    /// The tasks, one stage each per model.
    var tasks: [String] = []
    /// A task's own document limit (over `limit`).
    var taskLimits: [String: Int] = [:]
    /// The replay of the evaluation prompts that gives each model's answers (nil without `prompts`).
    var answers: CollectConfig?
    /// The judge against the teacher (nil without a `judge` section or without prompts).
    var judge: JudgeConfig?
    /// The style metrics against the teacher (nil without prompts, or with `style: false`).
    var style: StyleConfig?
    /// A human-rating study of the answers against the teacher's (nil without a `rating` section).
    var rating: RatingCreateConfig?
    /// The models rated (`rating.models`; nil: every imitation model).
    var ratingModels: [String]?

    init(file: StudyFile, at: String, manifestFolder: String, client: ClientConfig) throws {
        let (tree, own) = (file.tree.at(at) ?? .object([:])).removing(["prompts", "answer_tokens", "answer_temperature", "task_limits"])
        let resolve = { (p: String) in StudyPlan.absolute(p, from: manifestFolder) }
        config = try ConfigResolver.resolve(EvalConfig(), section: tree, at: at, file: file.path, lines: file.lines,
                                            reserved: ["model", "out", "cache", "client", "no_cache"])
        if tree.at("seed") == nil, let seed = file.manifest.seed { config.seed = seed }
        // Paths the manifest gives are relative to it; the defaults (the project's tasks/, data/eval) to where it runs.
        if tree.at("tasks_dir") != nil { config.tasksDir = resolve(config.tasksDir) }
        if tree.at("data_dir") != nil { config.dataDir = resolve(config.dataDir) }
        config.data = config.data.mapValues(resolve)
        tasks = config.tasks
        if !tasks.isEmpty {
            try file.check(config, at: at) { $0.out = "out" }
            for task in tasks where !FileManager.default.fileExists(atPath: config.tasksDir + "/" + task + ".yaml") {
                throw file.error(at + ".tasks", "names \(task), but \(config.tasksDir)/\(task).yaml does not exist",
                                 hint: "a task file's name in tasks_dir")
            }
        }
        switch own["task_limits"] {
        case nil, .null?: break
        case .object(let limits)?:
            for (task, value) in limits.sorted(by: { $0.key < $1.key }) {
                guard tasks.contains(task) else {
                    throw file.error(at + ".task_limits." + task, "is not one of the tasks", hint: "a task named in eval.tasks")
                }
                guard case .int(let n) = value, n >= 1 else {
                    throw file.error(at + ".task_limits." + task, "expected a whole number above 0", hint: "that task's document limit")
                }
                taskLimits[task] = n
            }
        default: throw file.error(at + ".task_limits", "is not a mapping", hint: "TASK: N, the document limit of that task")
        }
        if let prompts = try file.string(own["prompts"], at + ".prompts") {
            guard FileManager.default.fileExists(atPath: resolve(prompts)) else {
                throw file.error(at + ".prompts", "is \(prompts)", hint: "no such file; give the prompts every model answers")
            }
            var c = CollectConfig(generator: .replay)
            c.prompts = resolve(prompts)
            switch own["answer_tokens"] {
            case nil, .null?: c.maxTokens = 256
            case .int(let n)? where n > 0: c.maxTokens = n
            default: throw file.error(at + ".answer_tokens", "expected a whole number above 0", hint: "the answers' length limit in tokens")
            }
            switch own["answer_temperature"] {
            case nil, .null?: c.temperature = nil
            case .int(let n)?: c.temperature = Double(n)
            case .double(let t)?: c.temperature = t
            default: throw file.error(at + ".answer_temperature", "expected a number", hint: "the answers' sampling temperature")
            }
            answers = c
        }
        let judgeTree = file.tree.at("judge")
        if let judgeTree, judgeTree != .null {
            guard answers != nil else { throw file.error("judge", "needs eval.prompts", hint: "give the prompts the models answer") }
            var j = try ConfigResolver.resolve(JudgeConfig(), section: judgeTree, at: "judge", file: file.path, lines: file.lines,
                                               reserved: ["a", "b", "out", "client"])
            if judgeTree.at("prompt") != nil { j.prompt = resolve(j.prompt) }
            if judgeTree.at("seed") == nil { j.seed = file.manifest.seed ?? 0 }
            try file.check(j, at: "judge") { c in
                c.a = [file.path]
                c.b = file.path
                c.out = "out"
            }
            judge = j
        }
        let styleTree = file.tree.at("style")
        if answers != nil, styleTree != .bool(false) {
            var s = try ConfigResolver.resolve(StyleConfig(), section: styleTree ?? .null, at: "style", file: file.path, lines: file.lines,
                                               reserved: ["candidate", "reference", "reference2", "out", "client"])
            if styleTree?.at("judge_prompt") != nil { s.judgePrompt = resolve(s.judgePrompt) }
            if styleTree?.at("seed") == nil, let seed = file.manifest.seed { s.seed = seed }
            try file.check(s, at: "style") { c in
                c.candidate = file.path
                c.reference = file.path
            }
            style = s
        }
        let ratingTree = file.tree.at("rating")
        if let ratingTree, ratingTree != .null, ratingTree != .bool(false) {
            guard answers != nil else { throw file.error("rating", "needs eval.prompts", hint: "give the prompts the models answer") }
            let (tree, own) = (ratingTree == .bool(true) ? .object([:]) : ratingTree).removing(["models"])
            var r = try ConfigResolver.resolve(RatingCreateConfig(), section: tree, at: "rating", file: file.path, lines: file.lines,
                                               reserved: ["a", "b", "out", "db", "postgres"])
            if tree.at("instructions") != nil { r.instructions = r.instructions.map(resolve) }
            if tree.at("seed") == nil { r.seed = file.manifest.seed ?? 0 }
            try file.check(r, at: "rating") { c in
                c.a = [file.path]
                c.b = file.path
                c.out = file.path + ".rating-check"
            }
            switch own["models"] {
            case nil, .null?: ratingModels = nil
            case .array(let ids)?:
                ratingModels = try ids.enumerated().map { k, id in
                    guard case .string(let s) = id else {
                        throw file.error("rating.models[\(k)]", "expected a model id", hint: "such as base/NAME or STUDENT/KIND/AMOUNT")
                    }
                    return s
                }
            default: throw file.error("rating.models", "is not a list", hint: "model ids such as STUDENT/KIND/AMOUNT")
            }
            rating = r
        }
    }

    /// The files outside the study an eval of `task` reads: its task file and its data file when named.
    func externals(_ task: String) -> [String] {
        [config.tasksDir + "/" + task + ".yaml"] + (config.data[task].map { [$0] } ?? [])
    }
}
