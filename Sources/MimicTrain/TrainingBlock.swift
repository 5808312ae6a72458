// TrainingBlock: one row of a training batch: tokens, next-token targets (or ignore), positions, documents.

/// The label that marks a position as not trained on (PyTorch's `ignore_index`).
public let ignoreLabel = -100

/// A block of `count` tokens ready for the trainer. Position t is trained to predict `targets[t]` (the next
/// token, or `ignoreLabel`). With packing, several documents share a block: attention stays inside a document
/// (`documents[t]` equal) and `positions` restart at 0 for each.
public struct TrainingBlock: Sendable, Equatable, Codable {
    /// Input token ids.
    public var tokens: [Int]
    /// The id each position is trained to predict, or `ignoreLabel`.
    public var targets: [Int]
    /// Position of each token within its document (from 0), for position embeddings.
    public var positions: [Int]
    /// Document index of each token; attention does not cross documents.
    public var documents: [Int]

    /// A block from parallel arrays, one entry per token (a precondition).
    public init(tokens: [Int], targets: [Int], positions: [Int], documents: [Int]) {
        precondition(tokens.count == targets.count && tokens.count == positions.count && tokens.count == documents.count,
                     "a block's arrays must have one entry per token")
        self.tokens = tokens
        self.targets = targets
        self.positions = positions
        self.documents = documents
    }

    /// One document, positions 0…, no packing.
    public init(tokens: [Int], targets: [Int]) {
        self.init(tokens: tokens, targets: targets, positions: Array(0..<tokens.count),
                  documents: [Int](repeating: 0, count: tokens.count))
    }

    /// Number of tokens.
    public var count: Int { tokens.count }
    /// Positions whose target is trained on.
    public var trainedCount: Int { targets.filter { $0 != ignoreLabel }.count }
}
