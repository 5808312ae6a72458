// The study manifest (`mimic run STUDY.yaml`): the teacher, the data kinds and how each is collected and curated,
// the sweep (data amounts × students × data kinds), the training recipe, the evaluation, the judge and the style
// metrics. The manifest's own keys are decoded here; each section that configures a stage (collect, a curation
// step, train, eval, judge, style) keeps its tree and is resolved against that stage's config by
// `ConfigResolver.resolve(section:)`, so its keys are the stage's own, checked the same way, with file and line.
import Foundation
import MimicCore
import MimicModels
import MimicStages
import Yams

/// A study as written in its manifest.
public struct StudyManifest: Codable, Sendable {
    /// The study's name (a folder name).
    public var name: String
    /// The study folder (default: `runs/NAME` beside the manifest).
    public var out: String?
    /// The seed of every seeded choice (collection, subsets, training, evaluation); default 0.
    public var seed: UInt64?
    /// The teacher: any model reference (`local:NAME`, `openai:MODEL[@URL]`).
    public var teacher: ModelRef
    /// Client settings for every request to a served model (ClientConfig's keys: `concurrency`, `budget`, …).
    public var client: JSONValue?
    /// The data kinds (broad, targeted, …), each collected from the teacher and curated.
    public var data: [StudyDataKind]
    /// The imitation data amounts in tokens: nested subsets of each kind's curated data, one student each.
    public var amounts: [Int]
    /// How the amounts are counted: `words`, `gpt2` or a model's tokenizer (default `words`).
    public var tokenCounter: String?
    /// The base models the students are trained from.
    public var students: [StudyStudent]
    /// The training recipe: TrainConfig's keys (`block_size`, `train: {epochs, …}`), and `preset`, `backend`,
    /// `command` and `checkpoint` (`StudyTrainSection`).
    public var train: JSONValue?
    /// The evaluation: EvalConfig's keys (`tasks`, `tasks_dir`, `data`, `limit`, …) and `prompts`, `answer_tokens`.
    public var eval: JSONValue?
    /// The judge against the teacher: JudgeConfig's keys (`judge`, `prompt`, `orders`, `max_tokens`, `resamples`).
    public var judge: JSONValue?
    /// The style metrics: StyleConfig's keys (`bootstrap`, `judge`, `judge_prompt`, …).
    public var style: JSONValue?
    /// A human-rating study to make from the answers: RatingCreateConfig's keys (`raters_per_item`, `items`,
    /// `attention`, …) and `models` (the model ids rated against the teacher; default every imitation model).
    public var rating: JSONValue?

    enum CodingKeys: String, CodingKey {
        case name, out, seed, teacher, client, data, amounts, students, train, eval, judge, style, rating
        case tokenCounter = "token_counter"
    }
}

/// One data kind: how it is collected from the teacher and curated.
public struct StudyDataKind: Codable, Sendable {
    /// Its name (`broad`, `nq`): a folder name.
    public var name: String
    /// CollectConfig's keys (`generator`, `prompts`, `count`, `limit`, `max_tokens`, …); the study sets `teacher`,
    /// `client` and `out`.
    public var collect: JSONValue
    /// Curation steps in order, each a mapping of one step name (`dedup`, `language`, `filter`) to that step's keys.
    public var curate: [JSONValue]?
    /// The self-BLEU diversity of the curated queries: `mimic data diversity`'s keys (`limit`, `threads`), or
    /// `false` to skip it (default: every query, 2 threads).
    public var diversity: JSONValue?
}

/// One base model students are trained from: a model as it is, or one derived by pruning.
public struct StudyStudent: Codable, Sendable {
    /// Its name (a folder name).
    public var name: String
    /// A GGUF file, a Hugging Face folder or a built-in name (give this or `prune`).
    public var model: String?
    /// A model derived from another by keeping some of its layers.
    public var prune: StudyPrune?
}

/// Which layers of `model` a pruned student keeps: `keep: every-other`, `first: K` or `layers: [..]`.
public struct StudyPrune: Codable, Sendable, Hashable {
    /// The model pruned.
    public var model: String
    /// `every-other`.
    public var keep: String?
    /// Keep the first K layers.
    public var first: Int?
    /// Keep these layer indices.
    public var layers: [Int]?

    /// What `Pruning.prune` keeps (the manifest is checked to give exactly one of the three).
    public var selection: LayerSelection { layers.map { .list($0) } ?? first.map { .first($0) } ?? .everyOther }
}

/// A manifest as read: the decoded value, where it came from, and the line of each key path.
public struct StudyFile: Sendable {
    /// The manifest.
    public var manifest: StudyManifest
    /// Its path.
    public var path: String
    /// The tree as written (sections are resolved from it).
    public var tree: JSONValue
    /// The line of each key path (`data[0].collect.count`).
    public var lines: [String: Int]

    /// Reads and checks `path`'s top-level keys; a bad one is a `ConfigError` naming the key and line.
    public init(path: String) throws {
        let (tree, lines) = try ConfigResolver.readTree(path)
        self.path = path
        self.tree = tree
        self.lines = lines
        do {
            manifest = try JSONDecoder().decode(StudyManifest.self, from: JSONEncoder().encode(tree))
        } catch let error as DecodingError {
            var e = ConfigError(error, location: nil)
            e.location = ConfigResolver.location(of: e.field, file: path, lines: lines)
            throw e
        }
        let decoded = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(manifest))
        if let unknown = Self.unknownKey(tree, decoded, path: "") {
            throw ConfigError(field: unknown.path, problem: "unknown key", hint: "known keys here: " + unknown.known.joined(separator: ", "),
                              location: ConfigResolver.location(of: unknown.path, file: path, lines: lines))
        }
    }

    /// The first key of `given` that decoding dropped (so the manifest has no such key), and the keys it has there.
    static func unknownKey(_ given: JSONValue, _ decoded: JSONValue, path: String) -> (path: String, known: [String])? {
        switch (given, decoded) {
        case (.object(let g), .object(let d)):
            for key in g.keys.sorted() {
                let child = path.isEmpty ? key : path + "." + key
                guard let value = d[key] else {
                    if case .null? = g[key] { continue }
                    return (child, d.keys.sorted())
                }
                if let found = unknownKey(g[key]!, value, path: child) { return found }
            }
        case (.array(let g), .array(let d)):
            for (i, (a, b)) in zip(g, d).enumerated() {
                if let found = unknownKey(a, b, path: path + "[\(i)]") { return found }
            }
        default: break
        }
        return nil
    }
}

extension StudyFile {
    /// A `ConfigError` at key path `field`, located in the manifest.
    func error(_ field: String, _ problem: String, hint: String) -> ConfigError {
        ConfigError(field: field, problem: problem, hint: hint, location: ConfigResolver.location(of: field, file: path, lines: lines))
    }

    /// Validates `config` with the study's own fields set to stand-ins by `fill` (its inputs do not exist before
    /// the study runs), naming the section's key and line on error.
    func check<C: StageConfig>(_ config: C, at: String, fill: (inout C) -> Void) throws {
        var c = config
        fill(&c)
        do { try c.validate() } catch var e as ConfigError {
            e.field = at + "." + e.field
            e.location = ConfigResolver.location(of: e.field, file: path, lines: lines)
            throw e
        }
    }

    /// A string value of the study's own at `field` (nil when absent).
    func string(_ value: JSONValue?, _ field: String) throws -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let s)?: return s
        default: throw error(field, "expected a string", hint: "give text")
        }
    }
}
