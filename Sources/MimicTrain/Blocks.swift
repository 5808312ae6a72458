// Blocks: chat examples shuffled, cut to the block size and (optionally) packed into fixed-size training blocks.
import MimicCore
import MimicTensor

/// Turns examples into `TrainingBlock`s of exactly `blockSize` tokens.
///
/// 1. Order: the examples are shuffled with `SeededGenerator(seed:)`; the same examples and seed give the same blocks.
/// 2. The data-size axis (`mimic train --max-tokens`) is applied before, to whole conversations, by
///    `TrainingRun.withinBudget` (the subset rule of `mimic data subset`); blocks keep every token they are given.
/// 3. Cutting: an example longer than `blockSize` is cut into pieces of `blockSize` tokens (the last one shorter),
///    each its own document with positions from 0. Targets are computed on the whole example, then sliced:
///    `targets[t] = tokens[t + 1]` when token t + 1 is trained, else `ignoreLabel`. So the last position of a piece
///    predicts the first token of the next piece when that token is trained (a true next token, predicted from the
///    context the piece holds), and the last position of an example is ignored. A piece with no trained target is
///    dropped (it would add no loss).
/// 4. Packing off: one piece per block, padded. Packing on: greedy first-fit in the shuffled order — each piece
///    goes into the first block with room for it, else a new block; documents in a block are numbered 0, 1, … and
///    never share a position.
/// 5. Padding fills the rest of a block: `padTokenID`, target `ignoreLabel`, position 0, document -1 (it attends to
///    nothing else and nothing attends to it).
public enum Blocks {
    /// Makes the blocks; see the type's documentation for the rules. Throws `DataOptionError` for a block size
    /// below 1 or a negative pad id.
    public static func make(
        examples: [ChatExample], blockSize: Int, packing: Bool, padTokenID: Int, seed: UInt64
    ) throws -> [TrainingBlock] {
        guard blockSize >= 1 else {
            throw DataOptionError.invalid(option: "blockSize", value: "\(blockSize)", expected: "at least 1 (the model's context, e.g. 2048)")
        }
        guard padTokenID >= 0 else {
            throw DataOptionError.invalid(option: "padTokenID", value: "\(padTokenID)", expected: "a token id (the tokenizer's EOS or pad token)")
        }
        let pieces = cut(ordered(examples, seed: seed), blockSize: blockSize)
        guard packing else {
            return pieces.map { assemble([$0], blockSize: blockSize, padTokenID: padTokenID) }
        }
        return firstFit(pieces.map(\.count), capacity: blockSize).map { members in
            assemble(members.map { pieces[$0] }, blockSize: blockSize, padTokenID: padTokenID)
        }
    }

    /// A run of one example's tokens with their targets: a document of a block.
    struct Piece: Equatable {
        var tokens: ArraySlice<Int>
        var targets: ArraySlice<Int>
        var count: Int { tokens.count }
    }

    /// The examples' tokens and targets in the seeded order.
    static func ordered(_ examples: [ChatExample], seed: UInt64) -> [Piece] {
        var generator = SeededGenerator(seed: seed)
        return seededPermutation(examples.count, &generator).map { index in
            Piece(tokens: examples[index].tokens[...], targets: examples[index].targets[...])
        }
    }

    /// Cuts each example into pieces of at most `blockSize` tokens, dropping pieces with nothing to train.
    static func cut(_ examples: [Piece], blockSize: Int) -> [Piece] {
        var out: [Piece] = []
        for example in examples {
            var start = example.tokens.startIndex
            while start < example.tokens.endIndex {
                let end = min(start + blockSize, example.tokens.endIndex)
                let piece = Piece(tokens: example.tokens[start..<end], targets: example.targets[start..<end])
                if piece.targets.contains(where: { $0 != ignoreLabel }) { out.append(piece) }
                start = end
            }
        }
        return out
    }

    /// Greedy first-fit: item i (of size `sizes[i]` <= capacity) goes into the lowest-numbered bin with room, in
    /// item order. Returns the items of each bin. A max-tree over the bins' free room finds the bin in O(log n).
    static func firstFit(_ sizes: [Int], capacity: Int) -> [[Int]] {
        var leaves = 1
        while leaves < sizes.count { leaves *= 2 }
        // Node n holds the most room of any bin under it; bins not opened yet have all their room, so the first
        // bin with room is an open one or the next to open.
        var room = [Int](repeating: capacity, count: 2 * leaves)
        var bins: [[Int]] = []
        for (item, size) in sizes.enumerated() {
            precondition(size <= capacity, "a piece is longer than the block")
            var node = 1
            while node < leaves { node = room[2 * node] >= size ? 2 * node : 2 * node + 1 }
            let bin = node - leaves
            if bin == bins.count { bins.append([]) }
            bins[bin].append(item)
            room[node] -= size
            while node > 1 {
                node /= 2
                room[node] = max(room[2 * node], room[2 * node + 1])
            }
        }
        return bins
    }

    /// One block: the pieces one after another (documents 0, 1, …, positions from 0 in each), then padding.
    static func assemble(_ pieces: [Piece], blockSize: Int, padTokenID: Int) -> TrainingBlock {
        var tokens: [Int] = []
        var targets: [Int] = []
        var positions: [Int] = []
        var documents: [Int] = []
        for (document, piece) in pieces.enumerated() {
            tokens += piece.tokens
            targets += piece.targets
            positions += 0..<piece.count
            documents += repeatElement(document, count: piece.count)
        }
        precondition(tokens.count <= blockSize, "the pieces overflow the block")
        let padding = blockSize - tokens.count
        tokens += repeatElement(padTokenID, count: padding)
        targets += repeatElement(ignoreLabel, count: padding)
        positions += repeatElement(0, count: padding)
        documents += repeatElement(-1, count: padding)
        return TrainingBlock(tokens: tokens, targets: targets, positions: positions, documents: documents)
    }
}
