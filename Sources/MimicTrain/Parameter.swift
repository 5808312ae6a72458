// Trainable parameters and the TrainableModel protocol the trainer and optimizer work with.
import Foundation
import MimicTensor

/// One named FP32 parameter with its gradient, in Hugging Face name and shape.
public final class Parameter: @unchecked Sendable {
    /// Hugging Face tensor name (e.g. `model.layers.0.self_attn.q_proj.weight`).
    public let name: String
    /// Shape of `value` and `grad`.
    public let shape: [Int]
    /// The FP32 weights, updated in place by the optimizer.
    public let value: Tensor
    /// The gradient accumulated since the last `zeroGradients()`, same shape as `value`.
    public let grad: Tensor
    /// Whether the value is stored transposed relative to its Hugging Face tensor (GPT-2's Conv1D weights are
    /// kept (out, in) here, (in, out) there).
    public let transposedFromHF: Bool

    /// A parameter owning `value`, with a zero gradient of the same shape.
    public init(name: String, value: Tensor, transposedFromHF: Bool = false) {
        self.name = name
        shape = value.shape
        self.value = value
        grad = Tensor(zeros: value.shape)
        self.transposedFromHF = transposedFromHF
    }

    /// Number of scalars.
    public var count: Int { value.count }
}

/// A model that computes a loss and its gradients over a batch of TrainingBlocks.
public protocol TrainableModel: AnyObject {
    /// Every parameter, in a fixed order.
    var parameters: [Parameter] { get }
    /// The vocabulary size (targets must be below it).
    var vocabularySize: Int { get }
    /// Sum of token losses of the batch divided by `normalizer`, with gradients of that value added into each
    /// parameter's `grad`. Returns the summed (not divided) loss and the number of trained tokens.
    func accumulateGradients(_ batch: [TrainingBlock], normalizer: Int) throws -> (lossSum: Double, trained: Int)
    /// Summed loss and trained-token count of a batch, without gradients.
    func evaluate(_ batch: [TrainingBlock]) throws -> (lossSum: Double, trained: Int)
    /// The parameters as Hugging Face tensors (name → tensor in HF layout), for checkpoints.
    func huggingFaceTensors() -> [String: Tensor]
}

extension TrainableModel {
    /// Sets every gradient to zero.
    public func zeroGradients() {
        for p in parameters { p.grad.data.update(repeating: 0, count: p.count) }
    }

    /// Number of scalar parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
}

/// Problems with a training batch or model.
public enum TrainError: LocalizedError, Equatable {
    /// Blocks of one batch differ in length.
    case unevenBlocks(expected: Int, found: Int)
    /// A token or target id outside 0..<vocabulary.
    case tokenOutOfRange(token: Int, vocabulary: Int)
    /// A parameter (or its optimizer state) is absent.
    case missingParameter(String)
    /// A tensor given for a parameter (or its optimizer state) has another shape than the model's configuration gives.
    case shapeMismatch(tensor: String, expected: [Int], found: [Int])
    /// A block uses positions beyond the model's context.
    case blockTooLong(length: Int, limit: Int)
    /// The data makes fewer blocks than one batch.
    case notEnoughData(blocks: Int, batchSize: Int)

    /// A message naming the problem and, where there is one, the option to change.
    public var errorDescription: String? {
        switch self {
        case .unevenBlocks(let e, let f): "blocks of a batch must have one length: \(e) and \(f) found; pad them to the block size."
        case .tokenOutOfRange(let t, let v): "token id \(t) is outside the model's vocabulary (0..<\(v)); the data was tokenized for another model."
        case .missingParameter(let n): "the model has no parameter '\(n)'."
        case .shapeMismatch(let n, let e, let f):
            "tensor '\(n)' has shape \(f), expected \(e) from the model's configuration; the weights do not fit this config."
        case .blockTooLong(let l, let limit): "a block of \(l) tokens is longer than the model's \(limit) positions; use a smaller --block-size."
        case .notEnoughData(let b, let batch):
            "the data makes \(b) training blocks, fewer than one batch of \(batch); use more data, a smaller --batch-size or --block-size."
        }
    }
}

/// The tensor `name` of `tensors`, which must have exactly `shape` (the same element count in another shape, such as
/// a transposed matrix, is refused); throws `TrainError.missingParameter` or `.shapeMismatch`.
func requireTensor(_ name: String, shape: [Int], in tensors: [String: Tensor]) throws -> Tensor {
    guard let t = tensors[name] else { throw TrainError.missingParameter(name) }
    guard t.shape == shape else { throw TrainError.shapeMismatch(tensor: name, expected: shape, found: t.shape) }
    return t
}

/// Checks that a batch is non-empty, of one length, and its tokens and targets fit the vocabulary.
func validate(_ batch: [TrainingBlock], vocabulary: Int, maxLength: Int) throws -> Int {
    let t = batch.first?.count ?? 0
    for b in batch {
        guard b.count == t else { throw TrainError.unevenBlocks(expected: t, found: b.count) }
        for x in b.tokens where !(0..<vocabulary).contains(x) { throw TrainError.tokenOutOfRange(token: x, vocabulary: vocabulary) }
        for x in b.targets where x != ignoreLabel && !(0..<vocabulary).contains(x) {
            throw TrainError.tokenOutOfRange(token: x, vocabulary: vocabulary)
        }
        for p in b.positions where !(0..<maxLength).contains(p) { throw TrainError.blockTooLong(length: p + 1, limit: maxLength) }
    }
    return t
}

/// Activation and gradient buffers kept from one step to the next, by name and shape, so that steps do not
/// allocate (and page-fault in) hundreds of megabytes each. Contents are undefined when handed out.
final class BufferPool: @unchecked Sendable {
    private var buffers: [String: Tensor] = [:]

    func get(_ key: String, _ shape: [Int]) -> Tensor {
        if let t = buffers[key], t.shape == shape { return t }
        let t = Tensor(zeros: shape)
        buffers[key] = t
        return t
    }
}
