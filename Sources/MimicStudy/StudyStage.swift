// One stage of a study: what it runs (a stage's resolved config), what it reads, and the content key that names
// its folder: a hash of its kind, its config with every path inside the study written as `$STUDY/…` (an input's
// path carries that input's key), and the fingerprints of the files outside the study it reads. So a stage's key
// changes exactly when something it depends on changes, and a finished stage is found again by its key.
import Foundation
import MimicCore
import MimicEval
import MimicModels
import MimicRate
import MimicStages
import MimicTrain

/// What a stage runs.
public enum StudyWork: Sendable {
    case collect(CollectConfig)
    case dedup(DataDedupConfig)
    case language(DataLanguageConfig)
    case filter(DataFilterConfig)
    case subset(DataSubsetConfig)
    case diversity(DataDiversityConfig)
    case prune(model: String, keep: StudyPrune, out: String)
    case train(TrainConfig)
    case externalTrain(command: String, source: String, data: String, model: String, out: String, checkpoint: String)
    case answers(CollectConfig)
    case eval(EvalConfig)
    case judge(JudgeConfig)
    case style(StyleConfig)
    case rating(RatingCreateConfig)

    /// The stage kind's name: the first part of its id and its folder under `stages/`.
    public var kind: String {
        switch self {
        case .collect: return "collect"
        case .dedup, .language, .filter: return "curate"
        case .subset: return "subset"
        case .diversity: return "diversity"
        case .prune: return "prune"
        case .train, .externalTrain: return "train"
        case .answers: return "answers"
        case .eval: return "eval"
        case .judge: return "judge"
        case .style: return "style"
        case .rating: return "rating"
        }
    }

    /// The config as hashed and written (`config.json` in the stage's folder).
    func identity() throws -> JSONValue {
        func tree<T: Encodable>(_ value: T) throws -> JSONValue {
            try JSONDecoder().decode(JSONValue.self, from: ConfigResolver.encoded(value))
        }
        switch self {
        case .collect(let c), .answers(let c): return try tree(c)
        case .dedup(let c): return try tree(c)
        case .language(let c): return try tree(c)
        case .filter(let c): return try tree(c)
        case .subset(let c): return try tree(c)
        case .diversity(let c): return try tree(c)
        case .prune(let model, let keep, let out): return try tree(["model": .string(model), "keep": tree(keep), "out": .string(out)] as [String: JSONValue])
        case .train(let c): return try tree(c)
        case .externalTrain(let command, let source, let data, let model, let out, let checkpoint):
            return .object(["command": .string(command), "source": .string(source), "data": .string(data), "model": .string(model),
                            "out": .string(out), "checkpoint": .string(checkpoint)])
        case .eval(let c): return try tree(c)
        case .judge(let c): return try tree(c)
        case .style(let c): return try tree(c)
        case .rating(let c): return try tree(c)
        }
    }
}

/// One node of the study's graph.
public struct StudyStage: Sendable {
    /// Readable and unique: `train/half/broad/4000`.
    public var id: String
    /// The ids of the stages whose outputs it reads.
    public var inputs: [String]
    /// What it runs, with its paths filled in.
    public var work: StudyWork
    /// The content key (hex SHA-256).
    public var key: String
    /// Its folder: `STUDY/stages/KIND/NAME-KEY16`.
    public var folder: String
    /// The file or folder it produces (in `folder`).
    public var output: String
}

/// Fingerprints of files outside the study: their content's SHA-256 when small, else size and modification time;
/// a folder is the list of its files' fingerprints; a built-in model name is itself.
enum Fingerprint {
    static func of(_ path: String) -> String {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else { return "name:" + path }
        if isDir.boolValue {
            let names = ((try? fm.contentsOfDirectory(atPath: path)) ?? []).sorted().filter { !$0.hasPrefix(".") }
            return SHA256.hex(Data(names.map { $0 + "=" + of(path + "/" + $0) }.joined(separator: "\n").utf8))
        }
        let attributes = (try? fm.attributesOfItem(atPath: path)) ?? [:]
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        if size <= 64 << 20, let hex = try? SHA256.hex(file: path) { return hex }
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "size:\(size),modified:\(modified)"
    }
}
