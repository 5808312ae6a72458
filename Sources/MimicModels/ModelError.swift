// Errors of model loading and running: each names the file (and tensor, key or position) and says what to do.
import Foundation

/// A problem with a model file or a model call, with a one-line description that names where it is.
public enum ModelError: LocalizedError, Equatable {
    case fileNotFound(String)
    case unreadable(String, String)
    case truncated(file: String, offset: Int, what: String)
    case badMagic(file: String, found: String)
    case unsupportedVersion(file: String, version: Int)
    case invalid(file: String, field: String, problem: String)
    case unknownTensorType(file: String, tensor: String, type: String)
    case tensorOutOfBounds(file: String, tensor: String, end: Int, fileSize: Int)
    case missingTensor(file: String, tensor: String)
    case missingKey(file: String, key: String)
    case shapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])
    case unsupportedArchitecture(file: String, architecture: String)
    case contextOverflow(needed: Int, capacity: Int)
    case tokenOutOfRange(token: Int, vocabulary: Int)
    case unknownModel(String)

    public var errorDescription: String? {
        switch self {
        case .fileNotFound(let f):
            "\(f): no such file or folder. Give a GGUF file, a Hugging Face model folder, or a built-in name (smollm2-135m-instruct)."
        case .unreadable(let f, let why): "\(f): cannot be read (\(why))."
        case .truncated(let f, let off, let what):
            "\(f): file ends at byte \(off) while reading \(what); the file is truncated or corrupt. Download it again."
        case .badMagic(let f, let found): "\(f): not a GGUF file (magic \(found), expected GGUF)."
        case .unsupportedVersion(let f, let v): "\(f): GGUF version \(v) is not supported (versions 2 and 3 are)."
        case .invalid(let f, let field, let problem): "\(f): \(field): \(problem)."
        case .unknownTensorType(let f, let t, let type):
            "\(f): tensor '\(t)' has type \(type), which Mimic cannot read (F32, F16, BF16, Q4_0, Q4_1, Q8_0, Q4_K, Q5_K, Q6_K are supported). Convert the model to one of them."
        case .tensorOutOfBounds(let f, let t, let end, let size):
            "\(f): tensor '\(t)' ends at byte \(end), past the end of the file (\(size) bytes); the file is truncated or corrupt."
        case .missingTensor(let f, let t): "\(f): the model has no tensor '\(t)'."
        case .missingKey(let f, let k): "\(f): missing metadata key '\(k)'."
        case .shapeMismatch(let f, let t, let e, let found):
            "\(f): tensor '\(t)' has shape \(found), expected \(e) from the model's configuration."
        case .unsupportedArchitecture(let f, let a):
            "\(f): architecture '\(a)' is not supported (llama and gpt2 families are)."
        case .contextOverflow(let needed, let cap):
            "the sequence needs \(needed) positions but the context holds \(cap); shorten the input or raise --ctx."
        case .tokenOutOfRange(let t, let v): "token id \(t) is outside the vocabulary (0..<\(v))."
        case .unknownModel(let name):
            "'\(name)' is neither a file, a model folder, nor a built-in model name (smollm2-135m-instruct). Run scripts/fetch-assets.sh to fetch the built-in model."
        }
    }
}
