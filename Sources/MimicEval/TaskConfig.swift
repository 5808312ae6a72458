// Evaluation tasks declared as YAML (tasks/*.yaml): the typed configuration, `include:` merging and validation.
import Foundation
import MimicMetrics
import Yams

/// How a task asks the model: free generation until a stop string, or a choice among continuations by log-likelihood.
public enum OutputType: String, Codable, Sendable {
    case generateUntil = "generate_until"
    case multipleChoice = "multiple_choice"

    /// The output type that gives a metric its input: choices' log-likelihoods need multiple_choice, the rest a
    /// generation.
    public init(for input: MetricInput) {
        self = input == .choiceLogLikelihoods ? .multipleChoice : .generateUntil
    }
}

/// Which few-shot examples a document gets.
public enum FewshotSelection: String, Codable, Sendable {
    /// The first k of the pool (skipping the document itself).
    case first
    /// k drawn from the pool by a generator seeded with `fewshot_seed` and the document's index.
    case random
}

/// Where a task's documents come from.
public struct DatasetSpec: Codable, Sendable, Equatable {
    /// The loader: mmlu, nq_open, gsm8k, humaneval, cnn_dailymail, realtoxicityprompts or jsonl.
    public var format: String
    /// The file or folder, relative to the data directory unless absolute.
    public var path: String
    /// The split scored (MMLU: the folder of CSVs).
    public var split: String?
    /// A file of few-shot examples in the dataset's format, relative to the task file.
    public var fewshotPath: String?
    /// MMLU: the split the few-shot examples come from (same subject).
    public var fewshotSplit: String?
}

/// Generation limits and stop strings.
public struct GenerationSpec: Codable, Sendable, Equatable {
    /// Stop strings (not included in the completion).
    public var until: [String]?
    /// Most new tokens.
    public var maxTokens: Int?
    /// Sampling temperature (0: greedy).
    public var temperature: Double?
    /// Completions per item.
    public var samples: Int?
}

/// One answer-extraction step of a filter pipeline.
public struct FilterStepSpec: Codable, Sendable, Equatable {
    /// The step's registered name (regex, strip, …).
    public var function: String
    /// regex: the pattern.
    public var pattern: String?
    /// A group number, or "any" (the first group that matched).
    public var group: String?
    /// regex: "first" (default) or "last" match.
    public var select: String?
    /// regex: the answer when nothing matches (default "[invalid]").
    public var fallback: String?
    /// take_until: the text to cut at.
    public var text: String?

    public init(function: String, pattern: String? = nil, group: String? = nil, select: String? = nil,
                fallback: String? = nil, text: String? = nil) {
        self.function = function
        self.pattern = pattern
        self.group = group
        self.select = select
        self.fallback = fallback
        self.text = text
    }

    enum CodingKeys: String, CodingKey { case function, pattern, group, select, fallback, text }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        function = try c.decode(String.self, forKey: .function)
        pattern = try c.decodeIfPresent(String.self, forKey: .pattern)
        if let n = try? c.decodeIfPresent(Int.self, forKey: .group) { group = String(n) } else {
            group = try c.decodeIfPresent(String.self, forKey: .group)
        }
        select = try c.decodeIfPresent(String.self, forKey: .select)
        fallback = try c.decodeIfPresent(String.self, forKey: .fallback)
        text = try c.decodeIfPresent(String.self, forKey: .text)
    }
}

/// A named pipeline of answer-extraction steps.
public struct FilterPipelineSpec: Codable, Sendable, Equatable {
    /// The name results are reported under.
    public var name: String
    /// The steps, applied in order.
    public var steps: [FilterStepSpec]
}

/// The continuations of a multiple-choice task: a literal list, or a template naming a list field.
public enum ChoiceSpec: Codable, Sendable, Equatable {
    case list([String])
    case field(String)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let list = try? c.decode([String].self) { self = .list(list) } else { self = .field(try c.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .list(let l): try c.encode(l)
        case .field(let f): try c.encode(f)
        }
    }
}

/// A task, as declared by its YAML file (after `include:` merging).
/// (tasks/README.md describes each key; the YAML names are these in snake_case.)
public struct EvalTask: Codable, Sendable {
    /// The task's name, as results report it.
    public var task: String
    /// Bumped when a change can move scores; results carry it.
    public var version: Int
    /// A template before the few-shot examples.
    public var description: String?
    /// Where the documents come from.
    public var dataset: DatasetSpec
    /// Generation or multiple choice.
    public var outputType: OutputType
    /// Few-shot examples per prompt.
    public var numFewshot: Int?
    /// The seed of random few-shot selection.
    public var fewshotSeed: UInt64?
    /// How the examples are chosen.
    public var fewshotSelection: FewshotSelection?
    /// The template of a document's text.
    public var docToText: String
    /// The template of a document's answer (few-shot examples, references).
    public var docToTarget: String?
    /// Between a text and its answer (and before each choice).
    public var targetDelimiter: String?
    /// Between few-shot examples.
    public var fewshotDelimiter: String?
    /// The choices of a multiple-choice task.
    public var docToChoice: ChoiceSpec?
    /// The template of the right choice (its text or index).
    public var gold: String?
    /// The field holding the accepted answers of exact_match.
    public var goldAnswers: String?
    /// A file whose text replaces the description and examples.
    public var promptFile: String?
    /// Whether the prompt is one user turn in the model's chat template.
    public var chatTemplate: Bool?
    /// The field whose values group the results (MMLU's subject).
    public var groupBy: String?
    /// Generation limits and stops.
    public var generation: GenerationSpec?
    /// Answer-extraction pipelines.
    public var filters: [FilterPipelineSpec]?
    /// The metrics reported.
    public var metricList: [MetricSpec]
    /// Whether the task runs model-written code.
    public var unsafeCode: Bool?
    /// The folder of the YAML file, for paths relative to it (not part of the YAML).
    public var baseDirectory: String?
    /// The YAML file itself (not part of the YAML).
    public var sourceFile: String?
}

extension EvalTask {
    /// Reads a task file, merging any `include:` chain (keys of the including file win, nested maps merge).
    public static func load(path: String) throws -> EvalTask {
        let merged = try loadMerged(path: path, seen: [])
        try checkKeys(merged, file: path)
        let data: Data
        do { data = try JSONSerialization.data(withJSONObject: merged) } catch {
            throw EvalError.invalidTask(file: path, field: "YAML", problem: "holds a value that is not text, a number, a list or a map (a date? quote it)")
        }
        do {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            var task = try decoder.decode(EvalTask.self, from: data)
            task.baseDirectory = (path as NSString).deletingLastPathComponent
            task.sourceFile = path
            try task.validate(file: path)
            return task
        } catch let error as DecodingError {
            throw EvalError.invalidTask(file: path, field: error.evalFieldPath, problem: error.evalDescription)
        }
    }

    /// Finds a task by name in `directories` (`NAME.yaml`), or reads it when `nameOrPath` is a file.
    public static func resolve(_ nameOrPath: String, directories: [String]) throws -> EvalTask {
        if nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") {
            guard FileManager.default.fileExists(atPath: nameOrPath) else { throw EvalError.fileNotFound(nameOrPath, hint: "give a task file that exists") }
            return try load(path: nameOrPath)
        }
        for dir in directories {
            let candidate = dir + "/" + nameOrPath + ".yaml"
            if FileManager.default.fileExists(atPath: candidate) { return try load(path: candidate) }
        }
        let known = directories.flatMap { dir in
            ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".yaml") }
                .map { String($0.dropLast(5)) }
        }.sorted()
        throw EvalError.unknownTask(nameOrPath, known: known)
    }

    private static func loadMerged(path: String, seen: [String]) throws -> [String: Any] {
        let canonical = (path as NSString).standardizingPath
        guard !seen.contains(canonical) else {
            throw EvalError.invalidTask(file: path, field: "include", problem: "includes itself through \(seen.joined(separator: " -> "))")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw EvalError.fileNotFound(path, hint: "check the task path") }
        let object: Any?
        do { object = try YAMLGuard.load(String(decoding: data, as: UTF8.self)) } catch {
            throw EvalError.invalidTask(file: path, field: "YAML", problem: "\(error)".split(separator: "\n").first.map(String.init) ?? "not YAML")
        }
        guard var dict = object as? [String: Any] else {
            throw EvalError.invalidTask(file: path, field: "(top level)", problem: "is not a mapping of keys to values")
        }
        // Paths relative to a file stay relative to the file that declares them, whoever includes it, and stay inside
        // its folder: a task file is untrusted input, and what these files hold goes into prompts and results.
        let folder = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
        func inside(_ p: String, field: String) throws -> String {
            let full = URL(fileURLWithPath: p.hasPrefix("/") ? p : folder + "/" + p).standardizedFileURL.path
            func resolved(_ path: String) -> String {
                guard let r = realpath(path, nil) else { return path }
                defer { free(r) }
                return String(cString: r)
            }
            let real = resolved(full), root = resolved(folder)
            guard real.hasPrefix(root + "/") else {
                throw EvalError.invalidTask(file: path, field: field,
                                            problem: "names \(p), which is outside the task's folder \(folder); put the file in that folder")
            }
            return full
        }
        if let file = dict["prompt_file"] as? String { dict["prompt_file"] = try inside(file, field: "prompt_file") }
        if var dataset = dict["dataset"] as? [String: Any], let file = dataset["fewshot_path"] as? String {
            dataset["fewshot_path"] = try inside(file, field: "dataset.fewshot_path")
            dict["dataset"] = dataset
        }
        guard let include = dict.removeValue(forKey: "include") else { return dict }
        guard let name = include as? String else {
            throw EvalError.invalidTask(file: path, field: "include", problem: "must be a file name")
        }
        let base = name.hasPrefix("/") ? name : (path as NSString).deletingLastPathComponent + "/" + name
        return merge(try loadMerged(path: base, seen: seen + [canonical]), dict)
    }

    /// The most tokens a task may ask for per answer (more than any model's context here).
    public static let maxGeneratedTokens = 32_768
    /// The most samples per item a task may ask for.
    public static let maxSamples = 1_000

    static let keys: Set<String> = [
        "task", "version", "description", "dataset", "output_type", "num_fewshot", "fewshot_seed", "fewshot_selection",
        "doc_to_text", "doc_to_target", "target_delimiter", "fewshot_delimiter", "doc_to_choice", "gold", "gold_answers",
        "prompt_file", "chat_template", "group_by", "generation", "filters", "metric_list", "unsafe_code",
    ]
    static let nestedKeys: [String: Set<String>] = [
        "dataset": ["format", "path", "split", "fewshot_path", "fewshot_split"],
        "generation": ["until", "max_tokens", "temperature", "samples"],
    ]
    static let filterKeys: Set<String> = ["name", "steps"]
    static let stepKeys: Set<String> = ["function", "pattern", "group", "select", "fallback", "text"]

    /// Unknown keys are errors, not silently ignored (lm-evaluation-harness names such as generation_kwargs would
    /// otherwise run the task with defaults).
    static func checkKeys(_ dict: [String: Any], file: String) throws {
        func check(_ map: [String: Any], _ known: Set<String>, _ prefix: String) throws {
            for key in map.keys.sorted() where !known.contains(key) {
                throw EvalError.invalidTask(file: file, field: prefix + key,
                                            problem: "is not a task key; known here: \(known.sorted().joined(separator: ", ")) (see tasks/README.md)")
            }
        }
        try check(dict, keys, "")
        for (key, known) in nestedKeys { if let inner = dict[key] as? [String: Any] { try check(inner, known, key + ".") } }
        for (i, m) in ((dict["metric_list"] as? [Any]) ?? []).enumerated() {
            if let m = m as? [String: Any] { try check(m, MetricSpec.keys, "metric_list[\(i)].") }
        }
        for (i, f) in ((dict["filters"] as? [Any]) ?? []).enumerated() {
            guard let f = f as? [String: Any] else { continue }
            try check(f, filterKeys, "filters[\(i)].")
            for (j, step) in ((f["steps"] as? [Any]) ?? []).enumerated() {
                if let step = step as? [String: Any] { try check(step, stepKeys, "filters[\(i)].steps[\(j)].") }
            }
        }
    }

    /// `over`'s keys replace `base`'s; nested mappings merge key by key.
    static func merge(_ base: [String: Any], _ over: [String: Any]) -> [String: Any] {
        var out = base
        for (key, value) in over {
            if let inner = value as? [String: Any], let old = out[key] as? [String: Any] {
                out[key] = merge(old, inner)
            } else {
                out[key] = value
            }
        }
        return out
    }

    /// Checks the parts a decoder cannot: known metrics and filters, and what each output type needs.
    func validate(file: String) throws {
        func bad(_ field: String, _ problem: String) -> EvalError { .invalidTask(file: file, field: field, problem: problem) }
        guard !metricList.isEmpty else { throw bad("metric_list", "is empty; name at least one metric") }
        var metrics: [any Metric] = []
        for (i, m) in metricList.enumerated() {
            do { metrics.append(try MetricRegistry.shared.metric(for: m)) } catch let e as MetricError {
                throw bad("metric_list[\(i)].\(e.option)", e.problem)
            }
            let needed = OutputType(for: metrics[i].input)
            guard needed == outputType else { throw bad("metric_list[\(i)].metric", "'\(m.metric)' needs output_type \(needed.rawValue)") }
        }
        if outputType == .multipleChoice {
            guard docToChoice != nil else { throw bad("doc_to_choice", "is required for multiple_choice") }
            if case .list(let l)? = docToChoice, l.isEmpty { throw bad("doc_to_choice", "is an empty list") }
            guard gold != nil else { throw bad("gold", "is required for multiple_choice") }
        }
        if let (i, metric) = metrics.enumerated().first(where: { $0.element.samplesNeeded > Self.maxSamples }) {
            throw bad("metric_list[\(i)]", "\(metric.reportName) needs \(metric.samplesNeeded) samples per item; at most \(Self.maxSamples)")
        }
        if let metric = metrics.first(where: \.needsReference), docToTarget == nil, goldAnswers == nil {
            throw bad("doc_to_target", "or gold_answers is required by \(metric.reportName), which compares with a reference")
        }
        if metrics.contains(where: { $0.samplesNeeded > 1 }), (generation?.temperature ?? 0) == 0 {
            throw bad("generation.temperature", "is 0: every sample would be the same and pass@k would equal pass@1; sample with a temperature above 0")
        }
        let templates: [(String, String?)] = [("doc_to_text", docToText), ("doc_to_target", docToTarget), ("description", description),
                                              ("gold", gold)]
        for (field, text) in templates {
            guard let text else { continue }
            do { _ = try DocTemplate(text) } catch let e as EvalError { throw bad(field, e.errorDescription ?? "is not a valid template") }
        }
        if let n = numFewshot, n < 0 { throw bad("num_fewshot", "must be 0 or more") }
        if (numFewshot ?? 0) > 0, promptFile == nil, docToTarget == nil { throw bad("doc_to_target", "is required for few-shot examples") }
        if let g = generation {
            if let m = g.maxTokens, !(1...Self.maxGeneratedTokens).contains(m) {
                throw bad("generation.max_tokens", "must be between 1 and \(Self.maxGeneratedTokens)")
            }
            if let s = g.samples, !(1...Self.maxSamples).contains(s) {
                throw bad("generation.samples", "must be between 1 and \(Self.maxSamples) (pass@k needs k samples; HumanEval's pass@100 used 200)")
            }
            if let t = g.temperature, t < 0 { throw bad("generation.temperature", "must be 0 or more") }
        }
        for (i, p) in (filters ?? []).enumerated() {
            for (j, step) in p.steps.enumerated() {
                do { _ = try FilterStep(step) } catch let e as EvalError {
                    throw bad("filters[\(i)].steps[\(j)]", e.errorDescription ?? "invalid")
                }
            }
        }
        guard DatasetLoader.formats.contains(dataset.format) else {
            throw bad("dataset.format", "unknown format '\(dataset.format)'; known: \(DatasetLoader.formats.sorted().joined(separator: ", "))")
        }
    }

    /// Samples per item: the most any metric needs, at least the task's `generation.samples`.
    public var samplesPerItem: Int {
        // Loading validated the metric_list, so every entry resolves.
        let needed = ((try? metrics()) ?? []).map(\.samplesNeeded).max() ?? 1
        return max(generation?.samples ?? 1, needed)
    }

    /// The task's metrics, each built from its metric_list entry by `MetricRegistry.shared`.
    public func metrics() throws -> [any Metric] {
        try metricList.map { try MetricRegistry.shared.metric(for: $0) }
    }

    /// The "metric,filter" keys a metric reports under: each filter pipeline (or `none`) for a metric of the answer,
    /// the first filter (or `none`) for code outcomes, `none` otherwise.
    public func reportKeys(_ metric: any Metric) -> [String] {
        let pipelines = (filters ?? []).map(\.name)
        switch metric.input {
        case .answer: return (pipelines.isEmpty ? ["none"] : pipelines).map { metric.reportName + "," + $0 }
        case .codeOutcomes: return [metric.reportName + "," + (pipelines.first ?? "none")]
        case .choiceLogLikelihoods, .toxicity, .judgeLabel: return [metric.reportName + ",none"]
        }
    }
}

extension DecodingError {
    /// The dotted path of the field a decoding error is about, in the YAML's snake_case.
    var evalFieldPath: String {
        let path: [CodingKey]
        switch self {
        case .keyNotFound(let key, let ctx): path = ctx.codingPath + [key]
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx), .dataCorrupted(let ctx): path = ctx.codingPath
        @unknown default: path = []
        }
        let names = path.map { key -> String in
            if let i = key.intValue { return "[\(i)]" }
            return key.stringValue.reduce(into: "") { out, ch in
                if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
            }
        }
        return names.reduce("") { $0.isEmpty || $1.hasPrefix("[") ? $0 + $1 : $0 + "." + $1 }
    }

    /// A short description of a decoding error.
    var evalDescription: String {
        switch self {
        case .keyNotFound: "is missing"
        case .typeMismatch(let type, _): "has the wrong type (expected \(type))"
        case .valueNotFound(let type, _): "is null (expected \(type))"
        case .dataCorrupted(let ctx): ctx.debugDescription
        @unknown default: "is invalid"
        }
    }
}
