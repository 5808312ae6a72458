// The LanguageModel protocol: a causal LM that turns token ids into next-token logits over a KV cache.
import MimicTensor

/// Which positions' logits a forward pass returns.
public enum LogitsMode: Sendable {
    /// Only the last position: (1, vocab).
    case last
    /// Every position of the batch: (T, vocab).
    case all
    /// The last n positions: (min(n, T), vocab).
    case tail(Int)
    /// None (fill the cache only).
    case none

    /// The first batch row whose logits are returned, nil for none.
    public func firstRow(of t: Int) -> Int? {
        switch self {
        case .last: t - 1
        case .all: 0
        case .tail(let n): n > 0 ? t - min(n, t) : nil
        case .none: nil
        }
    }
}

/// A causal language model over a key/value cache.
public protocol LanguageModel: AnyObject, Sendable {
    /// Vocabulary size of the logits.
    var vocabularySize: Int { get }
    /// Longest context the model was trained for.
    var contextLength: Int { get }
    /// A short description (family, sizes) for `inspect`.
    var summary: String { get }
    /// Keep activations FP32 in every product (default false: as llama.cpp does, which is faster, they are rounded
    /// to 8 bits per 32 values at generation with 4- to 8-bit weights, and to BF16 with BF16 weights on AVX512_BF16
    /// CPUs; `WeightMatrix.activationRounding`).
    var exactActivations: Bool { get set }
    /// The weight matrices the products read (empty for a model without any), for reporting which kernels run.
    var weightMatrices: [WeightMatrix] { get }
    /// A fresh cache holding up to `capacity` positions (default: the context length).
    func makeCache(capacity: Int?) -> KVCache
    /// Runs `tokens` at positions cache.length… and appends them to the cache; returns the logits asked for.
    func forward(_ tokens: [Int], cache: KVCache, logits: LogitsMode) throws -> Tensor
}

/// Keys and values of every layer for positions 0..<length. Layout per layer: (capacity, kvHeads·headDim).
public final class KVCache: @unchecked Sendable {
    /// Number of layers.
    public let layers: Int
    /// Floats per position per layer (kvHeads·headDim).
    public let width: Int
    /// Most positions the cache can hold.
    public let capacity: Int
    /// Positions filled so far.
    public var length = 0
    private let keys: [Tensor]
    private let values: [Tensor]

    /// A zero-filled, empty cache of `layers` × (capacity, width) keys and as many values.
    public init(layers: Int, width: Int, capacity: Int) {
        self.layers = layers
        self.width = width
        self.capacity = capacity
        keys = (0..<layers).map { _ in Tensor(zeros: [capacity, width]) }
        values = (0..<layers).map { _ in Tensor(zeros: [capacity, width]) }
    }

    /// Bytes the cache holds.
    public var byteCount: Int { 2 * layers * capacity * width * 4 }

    /// Key rows of a layer, (capacity, width).
    public func keys(_ layer: Int) -> UnsafeMutablePointer<Float> { keys[layer].data }
    /// Value rows of a layer, (capacity, width).
    public func values(_ layer: Int) -> UnsafeMutablePointer<Float> { values[layer].data }

    /// Forgets positions from `n` on (to reuse a shared prefix).
    public func truncate(to n: Int) { length = min(length, max(0, n)) }

    /// Checks that the cache was made for a model with `layers` layers of `width` floats per position.
    public func check(layers: Int, width: Int) throws {
        guard self.layers == layers, self.width == width else {
            throw ModelError.invalid(file: "KV cache", field: "shape",
                                     problem: "made for \(self.layers) layers × \(self.width), the model has \(layers) × \(width); use the model's makeCache")
        }
    }

    /// Checks that `count` more positions fit.
    public func reserve(_ count: Int) throws {
        guard length + count <= capacity else { throw ModelError.contextOverflow(needed: length + count, capacity: capacity) }
    }
}

extension LanguageModel {
    public var weightMatrices: [WeightMatrix] { [] }

    /// For each weight type of the model's matrices (the output head's too), the kernel a product with `batch` rows
    /// runs on this machine, e.g. `Q4_1: 8-bit activations, AVX-512 VNNI`.
    public func kernelPaths(batch: Int) -> [(type: GGMLType, path: String)] {
        var seen: [GGMLType: String] = [:]
        for w in weightMatrices where seen[w.type] == nil { seen[w.type] = w.kernelPath(batch: batch, exact: exactActivations) }
        return seen.sorted { $0.key.rawValue < $1.key.rawValue }.map { ($0.key, $0.value) }
    }
}
