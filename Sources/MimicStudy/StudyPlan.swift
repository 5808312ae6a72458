// A manifest turned into the study's graph of stages, in the order they run: collect and curate each data kind,
// take the nested subsets, derive the students, train one per student × kind × amount, then for every model
// (teacher, each base, each imitation model) its answers to the evaluation prompts, its benchmarks (one stage per
// task, so editing one task reruns only that task), the judge against the teacher and the style metrics. Every
// section is resolved and validated here, before anything runs.
import Foundation
import MimicCore
import MimicEval
import MimicModels
import MimicRate
import MimicStages
import MimicTeacher
import MimicTrain

/// A model the study evaluates.
public struct StudyModel: Codable, Sendable, Hashable {
    /// Its id: `teacher`, `base/NAME`, `NAME/KIND/AMOUNT`.
    public var id: String
    /// `teacher`, `teacher-2` (the teacher's second sample, style's upper bound), `base` or `imitation`.
    public var role: String
    /// The student it was trained from (base and imitation models).
    public var student: String?
    /// The data kind it imitated.
    public var data: String?
    /// The token budget of its imitation data.
    public var amount: Int?
}

/// The study's stages and models.
public struct StudyPlan: Sendable {
    /// The manifest.
    public var file: StudyFile
    /// The study folder (absolute).
    public var folder: String
    /// Every stage, each after its inputs.
    public var stages: [StudyStage]
    /// The evaluated models, with the ids of their stages.
    public var models: [StudyModel]
    /// For each model id: its answers stage, its eval stages by task, its judge and style stages.
    public var modelStages: [String: ModelStages]

    /// The stages evaluating one model.
    public struct ModelStages: Sendable, Hashable {
        public var answers: String?
        public var evals: [String: String] = [:]
        public var judge: String?
        public var style: String?
    }

    /// The stage with `id`.
    public func stage(_ id: String) -> StudyStage? { index[id].map { stages[$0] } }

    /// Each stage's position in `stages`, by id.
    let index: [String: Int]

    /// Plans `file`: every section resolved and validated (errors name the key and line), every stage keyed.
    public init(_ file: StudyFile) throws {
        self.file = file
        let m = file.manifest
        let manifestFolder = URL(fileURLWithPath: file.path).deletingLastPathComponent().path
        folder = Self.absolute(m.out ?? "runs/" + m.name, from: manifestFolder)
        var builder = Builder(file: file, root: folder, manifestFolder: manifestFolder)
        try builder.build()
        stages = builder.stages
        index = builder.index
        models = builder.models
        modelStages = builder.modelStages
    }

    static func absolute(_ path: String, from folder: String) -> String {
        (path.hasPrefix("/") ? URL(fileURLWithPath: path) : URL(fileURLWithPath: folder).appendingPathComponent(path)).standardized.path
    }
}

/// Builds the graph in order.
struct Builder {
    let file: StudyFile
    let root: String
    let manifestFolder: String
    var stages: [StudyStage] = []
    /// Each stage's position in `stages`, by id.
    var index: [String: Int] = [:]
    /// Fingerprints of the outside files read so far (many stages read the same task and data files).
    var fingerprints: [String: String] = [:]
    var models: [StudyModel] = []
    var modelStages: [String: StudyPlan.ModelStages] = [:]
    var m: StudyManifest { file.manifest }
    var seed: UInt64 { m.seed ?? 0 }

    init(file: StudyFile, root: String, manifestFolder: String) {
        self.file = file
        self.root = root
        self.manifestFolder = manifestFolder
    }

    /// A path the manifest gives, relative to the manifest's folder.
    func path(_ p: String) -> String { StudyPlan.absolute(p, from: manifestFolder) }

    mutating func build() throws {
        try checkNames()
        let client = try section(ClientConfig(), at: "client", reserved: ["cache", "run"])
        var curated: [String: String] = [:]   // kind → the stage whose output is its curated data
        for (k, kind) in m.data.enumerated() {
            curated[kind.name] = try dataKind(kind, index: k, client: client)
            try diversity(kind, index: k, curated: curated[kind.name]!)
        }
        let counter = m.tokenCounter ?? "words"
        var subsets: [String: [Int: String]] = [:]
        for kind in m.data {
            for amount in m.amounts {
                var c = DataSubsetConfig()
                c.tokens = amount
                c.seed = seed
                c.tokenizer = counter
                c.input = stage(curated[kind.name]!).output
                subsets[kind.name, default: [:]][amount] = try add("subset/\(kind.name)/\(amount)", inputs: [curated[kind.name]!],
                                                                  output: "data.jsonl") { _, out in
                    c.out = out
                    return .subset(c)
                }
            }
        }
        let train = try TrainSection(file: file, at: "train", manifestFolder: manifestFolder)
        let eval = try EvalSection(file: file, at: "eval", manifestFolder: manifestFolder, client: client)

        // The teacher and its second sample.
        try evaluate(StudyModel(id: "teacher", role: "teacher"), ref: m.teacher, inputs: [], eval: eval, client: client)
        try evaluate(StudyModel(id: "teacher-2", role: "teacher-2"), ref: m.teacher, inputs: [], eval: eval, client: client,
                     answersOnly: true)
        for student in m.students {
            var baseInputs: [String] = []
            var basePath = ""
            if let prune = student.prune {
                let source = model(prune.model)
                let id = try add("prune/\(student.name)", inputs: [], externals: [path(prune.model)], output: "model") { _, out in
                    .prune(model: source, keep: prune, out: out)
                }
                baseInputs = [id]
                basePath = stages.last!.output
            } else if let name = student.model {
                basePath = model(name)
            }
            try evaluate(StudyModel(id: "base/" + student.name, role: "base", student: student.name), ref: .local(basePath),
                         inputs: baseInputs, eval: eval, client: client)
            for kind in m.data {
                for amount in m.amounts {
                    let data = subsets[kind.name]![amount]!, dataPath = stage(data).output, model = basePath
                    let trained = try add("train/\(student.name)/\(kind.name)/\(amount)", inputs: baseInputs + [data],
                                          externals: baseInputs.isEmpty ? [basePath] : [], output: train.output) { stage, _ in
                        try train.work(model: model, data: dataPath, folder: stage.folder)
                    }
                    let imitation = StudyModel(id: "\(student.name)/\(kind.name)/\(amount)", role: "imitation", student: student.name,
                                               data: kind.name, amount: amount)
                    try evaluate(imitation, ref: .local(stage(trained).output), inputs: [trained], eval: eval, client: client)
                }
            }
        }
        // A human-rating study of the chosen models' answers against the teacher's, made once they exist.
        if var rating = eval.rating, let teacherAnswers = modelStages["teacher"]?.answers {
            let ids = eval.ratingModels ?? models.filter { $0.role == "imitation" }.map(\.id)
            let answers = try ids.enumerated().map { k, id in
                guard id != "teacher", let answers = modelStages[id]?.answers else {
                    throw file.error("rating.models[\(k)]", id == "teacher" ? "the teacher is what every rated model is compared with"
                                     : "'\(id)' is not a model of this study",
                                     hint: "one of " + models.filter { $0.role != "teacher" }.map(\.id).joined(separator: ", "))
                }
                return answers
            }
            if !answers.isEmpty {
                rating.a = answers.map { stage($0).output }
                rating.b = stage(teacherAnswers).output
                _ = try add("rating", inputs: answers + [teacherAnswers], output: "study") { _, out in
                    rating.out = out
                    return .rating(rating)
                }
            }
        }
    }

    /// Names are folder names and unique.
    func checkNames() throws {
        func check(_ names: [String], _ key: String) throws {
            var seen = Set<String>()
            for (i, name) in names.enumerated() {
                let at = "\(key)[\(i)].name"
                try require(!name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) } && !name.hasPrefix("."),
                            at, "is '\(name)'", hint: "letters, digits, '-', '_' and '.'")
                try require(seen.insert(name).inserted, at, "'\(name)' is used twice", hint: "give each a different name")
            }
        }
        try check(m.data.map(\.name), "data")
        try check(m.students.map(\.name), "students")
        try require(!m.data.isEmpty, "data", "is empty", hint: "give at least one data kind")
        try require(!m.students.isEmpty, "students", "is empty", hint: "give at least one student")
        try require(!m.amounts.isEmpty, "amounts", "is empty", hint: "give at least one data amount in tokens")
        for (i, a) in m.amounts.enumerated() { try require(a > 0, "amounts[\(i)]", "is \(a)", hint: "a token count above 0") }
        try require(Set(m.amounts).count == m.amounts.count, "amounts", "repeats an amount", hint: "give each amount once")
        for (i, s) in m.students.enumerated() {
            try require((s.model == nil) != (s.prune == nil), "students[\(i)]", "has \(s.model == nil ? "neither" : "both") model and prune",
                        hint: "give one of them")
            if let p = s.prune {
                let given = [p.keep != nil, p.first != nil, p.layers != nil].filter { $0 }.count
                try require(given == 1, "students[\(i)].prune", "needs exactly one of keep, first, layers", hint: "keep: every-other, first: K or layers: [0, 2]")
                if let keep = p.keep { try require(keep == "every-other", "students[\(i)].prune.keep", "is '\(keep)'", hint: "every-other") }
            }
            if let model = s.model ?? s.prune?.model {
                let field = s.model != nil ? "students[\(i)].model" : "students[\(i)].prune.model"
                if !FileManager.default.fileExists(atPath: path(model)) {
                    // Not beside the manifest: a built-in name, which ModelCache resolves (and names when it cannot).
                    do { _ = try ModelCache.resolve(model) } catch {
                        throw file.error(field, (error as? LocalizedError)?.errorDescription ?? "\(error)", hint: "paths are relative to the manifest")
                    }
                }
            }
        }
    }

    func require(_ ok: Bool, _ field: String, _ problem: String, hint: String) throws {
        guard !ok else { return }
        throw file.error(field, problem, hint: hint)
    }

    /// One data kind's collect and curate stages; returns the id of the last.
    mutating func dataKind(_ kind: StudyDataKind, index: Int, client: ClientConfig) throws -> String {
        let at = "data[\(index)]"
        var collect = try section(CollectConfig(generator: .replay), at: at + ".collect", reserved: ["teacher", "client", "out"])
        for (key, value) in [("prompts", collect.prompts), ("seeds", collect.seeds), ("posts", collect.posts), ("examples", collect.examples),
                             ("template", collect.template)] {
            if let value { try require(FileManager.default.fileExists(atPath: path(value)), "\(at).collect.\(key)", "is \(value)", hint: "no such file") }
        }
        collect.prompts = collect.prompts.map(path)
        collect.seeds = collect.seeds.map(path)
        collect.posts = collect.posts.map(path)
        collect.examples = collect.examples.map(path)
        collect.template = collect.template.map(path)
        collect.teacher = m.teacher
        if collect.seed == 0 { collect.seed = seed }
        let externals = [collect.prompts, collect.seeds, collect.posts, collect.examples, collect.template].compactMap { $0 }
        collect.client = self.client(client, run: "collect/\(kind.name)")
        var last = try add("collect/\(kind.name)", inputs: [], externals: externals, output: "data.jsonl") { _, out in
            collect.out = out
            return .collect(collect)
        }
        try file.check(collect, at: at + ".collect") { $0.out = self.file.path }
        for (i, step) in (kind.curate ?? []).enumerated() {
            let stepAt = "\(at).curate[\(i)]"
            guard case .object(let object) = step, object.count == 1, let (name, body) = object.first else {
                throw file.error(stepAt, "is not one step", hint: "a mapping of one step name (dedup, language, filter) to its keys")
            }
            let input = stage(last).output
            let id = "curate/\(kind.name)/\(i + 1)-\(name)"
            switch name {
            case "dedup":
                let c = try section(DataDedupConfig(), tree: body, at: stepAt + ".dedup", reserved: ["input", "out"])
                try file.check(c, at: stepAt + ".dedup") { $0.input = self.file.path; $0.out = "x" }
                last = try add(id, inputs: [last], output: "data.jsonl") { _, out in var c = c; c.input = input; c.out = out; return .dedup(c) }
            case "language":
                let c = try section(DataLanguageConfig(), tree: body, at: stepAt + ".language", reserved: ["input", "out", "report"])
                try file.check(c, at: stepAt + ".language") { $0.input = self.file.path; $0.out = "x" }
                last = try add(id, inputs: [last], output: "data.jsonl") { _, out in var c = c; c.input = input; c.out = out; return .language(c) }
            case "filter":
                let c = try section(DataFilterConfig(), tree: body, at: stepAt + ".filter", reserved: ["input", "out", "report"])
                try file.check(c, at: stepAt + ".filter") { $0.input = self.file.path; $0.out = "x" }
                last = try add(id, inputs: [last], output: "data.jsonl") { _, out in var c = c; c.input = input; c.out = out; return .filter(c) }
            default:
                throw file.error(stepAt + "." + name, "is not a curation step", hint: "dedup, language or filter")
            }
        }
        return last
    }

    /// The self-BLEU diversity of a data kind's curated queries (`diversity/KIND`), unless `diversity: false`.
    mutating func diversity(_ kind: StudyDataKind, index: Int, curated: String) throws {
        let at = "data[\(index)].diversity"
        var body = JSONValue.object([:])
        switch kind.diversity {
        case nil, .null?, .bool(true)?: break
        case .bool(false)?: return
        case .object(let keys)?: body = .object(keys)
        default: throw file.error(at, "is not true, false or a mapping", hint: "diversity: false, or {limit: N}")
        }
        let c = try section(DataDiversityConfig(), tree: body, at: at, reserved: ["file", "neighbors"])
        try file.check(c, at: at) { $0.file = self.file.path }
        let input = stage(curated).output
        _ = try add("diversity/" + kind.name, inputs: [curated], output: "diversity.json") { stage, _ in
            var c = c
            c.file = input
            c.neighbors = stage.folder + "/neighbors.jsonl"
            return .diversity(c)
        }
    }

    /// A model's answers, benchmarks, judge and style stages.
    mutating func evaluate(_ model: StudyModel, ref: ModelRef, inputs: [String], eval: EvalSection, client: ClientConfig,
                           answersOnly: Bool = false) throws {
        models.append(model)
        var stagesOfModel = StudyPlan.ModelStages()
        let externals = inputs.isEmpty && ref.isLocal ? [ref.name] : []
        if var answers = eval.answers {
            answers.teacher = ref
            answers.seed = seed
            if model.role == "teacher-2" { answers.sample = 1 }   // a second answer to each prompt, not the cached first
            answers.client = self.client(client, run: "answers/" + model.id)
            stagesOfModel.answers = try add("answers/" + model.id, inputs: inputs, externals: externals + [answers.prompts!],
                                            output: "answers.jsonl") { _, out in
                answers.out = out
                return .answers(answers)
            }
        }
        if !answersOnly {
            for task in eval.tasks {
                var c = eval.config
                c.model = ref
                c.tasks = [task]
                if let limit = eval.taskLimits[task] { c.limit = limit }
                c.client = self.client(client, run: "eval/\(model.id)/\(task)")
                stagesOfModel.evals[task] = try add("eval/\(model.id)/\(task)", inputs: inputs, externals: externals + eval.externals(task),
                                                    output: "results.json") { stage, out in
                    c.out = out
                    c.cache = stage.folder + "/items.sqlite"
                    return .eval(c)
                }
            }
        }
        modelStages[model.id] = stagesOfModel
        guard let answers = stagesOfModel.answers, model.role != "teacher",
              let teacherAnswers = modelStages["teacher"]?.answers else { return }
        if var judge = eval.judge, model.role != "teacher-2" {
            judge.a = [stage(answers).output]
            judge.b = stage(teacherAnswers).output
            judge.client = self.client(client, run: "judge/" + model.id)
            stagesOfModel.judge = try add("judge/" + model.id, inputs: [answers, teacherAnswers], output: "judgments.jsonl") { _, out in
                judge.out = out
                return .judge(judge)
            }
        }
        if var style = eval.style {
            style.candidate = stage(answers).output
            style.reference = stage(teacherAnswers).output
            style.client = self.client(client, run: "style/" + model.id)
            stagesOfModel.style = try add("style/" + model.id, inputs: [answers, teacherAnswers], output: "style.json") { _, out in
                style.out = out
                return .style(style)
            }
        }
        modelStages[model.id] = stagesOfModel
    }

    func client(_ base: ClientConfig, run: String) -> ClientConfig {
        var c = base
        c.cache = root + "/requests.sqlite"
        c.run = m.name + ":" + run
        return c
    }

    func stage(_ id: String) -> StudyStage { stages[index[id]!] }

    /// A model the manifest names: its path relative to the manifest when that exists, else the name as given (a
    /// built-in name, checked by `checkNames`).
    func model(_ name: String) -> String { FileManager.default.fileExists(atPath: path(name)) ? path(name) : name }

    /// Adds a stage: `make` gets a stage with its id and (for the key) a placeholder folder, and the output path;
    /// it is called twice, once to hash the config and once with the folder the hash names.
    mutating func add(_ id: String, inputs: [String], externals: [String] = [], output: String,
                      _ make: (StudyStage, String) throws -> StudyWork) throws -> String {
        precondition(index[id] == nil, "stage \(id) twice")
        for file in Set(externals) where fingerprints[file] == nil { fingerprints[file] = Fingerprint.of(file) }
        var stage = StudyStage(id: id, inputs: inputs, work: .subset(DataSubsetConfig()), key: "", folder: root + "/pending", output: "")
        stage.output = stage.folder + "/" + output
        let draft = try make(stage, stage.output)
        var hashed: [String: JSONValue] = [
            "version": .int(1), "kind": .string(draft.kind), "config": StudyStore.semantic(try draft.identity(), kind: draft.kind),
            "inputs": .array(inputs.map { .string(self.stage($0).key) }),
            "files": .object(Dictionary(uniqueKeysWithValues: Set(externals).map { ($0, JSONValue.string(fingerprints[$0]!)) })),
        ]
        hashed["config"] = StudyStore.relative(hashed["config"]!, root: root)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        stage.key = SHA256.hex(try encoder.encode(JSONValue.object(hashed)))
        let name = id.split(separator: "/").dropFirst().joined(separator: "-")
        stage.folder = root + "/stages/" + draft.kind + "/" + (name.isEmpty ? draft.kind : name) + "-" + stage.key.prefix(16)
        stage.output = stage.folder + "/" + output
        stage.work = try make(stage, stage.output)
        index[id] = stages.count
        stages.append(stage)
        return id
    }

    /// The section at `at` resolved over `defaults` (not validated: its inputs do not exist yet).
    func section<C: Codable>(_ defaults: C, at: String, reserved: Set<String>) throws -> C {
        try section(defaults, tree: file.tree.at(at) ?? .object([:]), at: at, reserved: reserved)
    }

    func section<C: Codable>(_ defaults: C, tree: JSONValue, at: String, reserved: Set<String>) throws -> C {
        try ConfigResolver.resolve(defaults, section: tree, at: at, file: file.path, lines: file.lines, reserved: reserved)
    }
}
