// Blocks: cutting, packing with per-document positions, padding, seeded order, the token budget; the held-out split.
import Foundation
import MimicCore
import MimicTensor
@testable import MimicTrain
import Testing

/// Example k has tokens k*1000, k*1000+1, …; its first `prompt` tokens are context, the rest trained.
func syntheticExample(_ k: Int, length: Int, prompt: Int = 1) -> ChatExample {
    ChatExample(tokens: (0..<length).map { k * 1000 + $0 }, trained: (0..<length).map { $0 >= prompt },
                source: SourceLine(file: "synthetic", line: k + 1))
}

/// Examples with lengths drawn from 1…maxLength.
func syntheticExamples(_ count: Int, maxLength: Int, seed: UInt64) -> [ChatExample] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { syntheticExample($0, length: 2 + Int(generator.next() % UInt64(maxLength - 1))) }
}

let pad = 999_999

@Suite("Blocks")
struct BlocksTests {
    /// Checks what every block must hold: size, contiguous documents numbered from 0 with positions from 0, padding
    /// only at the end and ignored, and targets that are the same example's next token, when it is trained and kept.
    func checkInvariants(_ blocks: [TrainingBlock], blockSize: Int, examples: [ChatExample]) {
        let kept = Set(blocks.flatMap { zip($0.tokens, $0.documents).filter { $0.1 >= 0 }.map(\.0) })
        for block in blocks {
            #expect(block.count == blockSize)
            var expectedDocument = 0
            for t in 0..<block.count {
                let document = block.documents[t]
                if document == -1 {
                    #expect(block.tokens[t] == pad && block.targets[t] == ignoreLabel && block.positions[t] == 0)
                    #expect(block.documents[t...].allSatisfy { $0 == -1 }, "padding only at the end")
                    break
                }
                let startsDocument = t == 0 || block.documents[t - 1] != document
                if startsDocument {
                    #expect(document == expectedDocument, "documents are numbered 0, 1, … in order")
                    expectedDocument += 1
                    #expect(block.positions[t] == 0)
                } else {
                    #expect(block.positions[t] == block.positions[t - 1] + 1)
                    #expect(block.tokens[t] == block.tokens[t - 1] + 1, "a document is a contiguous run of one example")
                }
                let (k, i) = (block.tokens[t] / 1000, block.tokens[t] % 1000)
                let example = examples[k]
                let target = block.targets[t]
                if target != ignoreLabel {
                    #expect(target == block.tokens[t] + 1 && example.trained[i + 1], "the target is the next, trained token")
                } else {
                    #expect(i + 1 == example.count || !example.trained[i + 1] || !kept.contains(block.tokens[t] + 1))
                }
            }
        }
    }

    @Test("without packing: one example per block, padded")
    func noPacking() throws {
        let examples = [syntheticExample(0, length: 5), syntheticExample(1, length: 8, prompt: 3), syntheticExample(2, length: 3)]
        let blocks = try Blocks.make(examples: examples, blockSize: 10, packing: false, padTokenID: pad, seed: 7)
        #expect(blocks.count == 3)
        checkInvariants(blocks, blockSize: 10, examples: examples)
        for block in blocks {
            let example = examples[block.tokens[0] / 1000]
            #expect(Array(block.tokens.prefix(example.count)) == example.tokens)
            #expect(Array(block.targets.prefix(example.count)) == example.targets)
            #expect(block.documents == [Int](repeating: 0, count: example.count) + [Int](repeating: -1, count: 10 - example.count))
        }
        #expect(Set(blocks.map { $0.tokens[0] / 1000 }) == [0, 1, 2])
    }

    @Test("packing: documents restart positions, never interleave, and padding is ignored")
    func packing() throws {
        let examples = syntheticExamples(200, maxLength: 40, seed: 3)
        let blocks = try Blocks.make(examples: examples, blockSize: 64, packing: true, padTokenID: pad, seed: 11)
        checkInvariants(blocks, blockSize: 64, examples: examples)
        // Every token of every example is in exactly one block, and every trained target is kept.
        let kept = blocks.flatMap { zip($0.tokens, $0.documents).filter { $0.1 >= 0 }.map(\.0) }
        #expect(kept.sorted() == examples.flatMap(\.tokens).sorted())
        let trainedInBlocks = blocks.map(\.trainedCount).reduce(0, +)
        let trainedInExamples = examples.map { trainedLabels($0).count }.reduce(0, +)
        #expect(trainedInBlocks == trainedInExamples)
        #expect(blocks.contains { Set($0.documents.filter { $0 >= 0 }).count >= 3 }, "several documents share blocks")
        let unpacked = try Blocks.make(examples: examples, blockSize: 64, packing: false, padTokenID: pad, seed: 11)
        #expect(blocks.count < unpacked.count / 2)
    }

    @Test("the same seed gives the same blocks; another seed other blocks")
    func seeds() throws {
        let examples = syntheticExamples(50, maxLength: 30, seed: 5)
        for packing in [false, true] {
            let a = try Blocks.make(examples: examples, blockSize: 32, packing: packing, padTokenID: pad, seed: 1)
            let b = try Blocks.make(examples: examples, blockSize: 32, packing: packing, padTokenID: pad, seed: 1)
            let c = try Blocks.make(examples: examples, blockSize: 32, packing: packing, padTokenID: pad, seed: 2)
            #expect(a == b)
            #expect(a != c)
        }
        // The order is this code's own Fisher–Yates, fixed across platforms and toolchains.
        var generator = SeededGenerator(seed: 42)
        #expect(seededPermutation(8, &generator) == seededPermutation8Seed42)
    }

    @Test("long examples are cut at the block size; a piece's last position predicts the next piece's first token")
    func cutting() throws {
        let example = syntheticExample(0, length: 25, prompt: 3)
        let blocks = try Blocks.make(examples: [example], blockSize: 10, packing: false, padTokenID: pad, seed: 1)
        #expect(blocks.map { $0.tokens[0] } == [0, 10, 20])
        checkInvariants(blocks, blockSize: 10, examples: [example])
        #expect(blocks[0].targets == [ignoreLabel, ignoreLabel] + Array(3...10))
        #expect(blocks[1].targets == Array(11...20))
        #expect(blocks[2].targets == [21, 22, 23, 24, ignoreLabel] + [Int](repeating: ignoreLabel, count: 5))
        #expect(blocks.allSatisfy { $0.positions.prefix(5) == [0, 1, 2, 3, 4] })

        // A piece with nothing to train (all prompt) is dropped; packed, the pieces share blocks.
        let longPrompt = syntheticExample(1, length: 25, prompt: 12)
        let pieces = try Blocks.make(examples: [longPrompt], blockSize: 10, packing: false, padTokenID: pad, seed: 1)
        #expect(pieces.map { $0.tokens[0] } == [1010, 1020])
        let packed = try Blocks.make(examples: [longPrompt, example], blockSize: 10, packing: true, padTokenID: pad, seed: 1)
        checkInvariants(packed, blockSize: 10, examples: [example, longPrompt])
        #expect(packed.flatMap(\.tokens).filter { $0 != pad }.count == 25 + 15)
    }

    // Issue item 4 changed the data-size axis: `--max-tokens` no longer cuts an example mid-way inside
    // Blocks.make (the old test asserted exactly 37 kept tokens); whole conversations are chosen by
    // TrainingRun.withinBudget with `mimic data subset`'s rule, before the blocks are made.
    @Test("maxTokens keeps whole conversations within the budget, nested as it grows")
    func maxTokens() throws {
        let counts = (0..<40).map { 3 + ($0 * 7) % 17 }
        func kept(_ limit: Int) -> SeededSelection.Budgeted { TrainingRun.withinBudget(contentTokens: counts, maxTokens: limit, seed: 4) }
        let total = counts.reduce(0, +)
        #expect(kept(total).indices == Array(counts.indices) && kept(total + 5).exhausted)
        let small = kept(37)
        let larger = kept(120)
        #expect(small.tokens <= 37 && larger.tokens <= 120 && small.tokens == small.indices.map { counts[$0] }.reduce(0, +))
        #expect(Set(small.indices).isSubset(of: Set(larger.indices)))
        #expect(kept(0).indices.isEmpty)
        #expect(small.indices == SeededSelection.withinBudget(counts: counts, budget: 37, seed: 4).indices)
    }

    @Test("first-fit puts each piece in the first block with room")
    func firstFit() {
        #expect(Blocks.firstFit([6, 5, 4, 3, 2], capacity: 10) == [[0, 2], [1, 3, 4]])
        #expect(Blocks.firstFit([10, 10, 1], capacity: 10) == [[0], [1], [2]])
        #expect(Blocks.firstFit([3, 9, 7, 2, 1, 8], capacity: 10) == [[0, 2], [1, 4], [3, 5]])
        #expect(Blocks.firstFit([], capacity: 4).isEmpty)
    }

    @Test("bad options are errors naming the option")
    func options() {
        let examples = [syntheticExample(0, length: 4)]
        #expect(throws: DataOptionError.self) { try Blocks.make(examples: examples, blockSize: 0, packing: true, padTokenID: 0, seed: 1) }
        #expect(throws: DataOptionError.self) { try Blocks.make(examples: examples, blockSize: 8, packing: true, padTokenID: -1, seed: 1) }
        // A negative maxTokens was a Blocks error; Blocks no longer takes it (TrainConfig.validate rejects max_tokens < 1).
    }

    @Test("a conversation file becomes packed blocks that train on the replies")
    func endToEnd() throws {
        let tokenizer = try Fixtures.smolTokenizer()
        let set = try ChatExampleBuilder(tokenizer: tokenizer, template: .chatml).build(
            file: ConversationFile(url: Fixtures.conversations("good"), policy: .fail))
        #expect(set.examples.count == 5)
        let padID = try #require(tokenizer.tokenID("<|endoftext|>"))
        #expect(set.examples.allSatisfy { $0.count <= 256 })
        let blocks = try Blocks.make(examples: set.examples, blockSize: 256, packing: true, padTokenID: padID, seed: 1)
        #expect(blocks.count < set.examples.count)
        let trainedInBlocks = blocks.map(\.trainedCount).reduce(0, +)
        let trainedInExamples = set.examples.map { trainedLabels($0).count }.reduce(0, +)
        #expect(trainedInBlocks == trainedInExamples)
        let imEnd = try #require(tokenizer.tokenID("<|im_end|>"))
        // Two replies in the second conversation, one trained reply in each of the others.
        #expect(blocks.flatMap(\.targets).filter { $0 == imEnd }.count == 6)
        let trainedText = blocks.map { block in
            tokenizer.decode(block.targets.filter { $0 != ignoreLabel }, skipSpecial: true)
        }.joined()
        #expect(trainedText.contains("Two is the only even prime.") && trainedText.contains("Hello there, friend!"))
        #expect(!trainedText.contains("Hello there!") && !trainedText.contains("Count to three") && !trainedText.contains("assistant"))
    }
}

/// `seededPermutation(8)` from `SeededGenerator(seed: 42)`, recorded when the shuffle was written.
let seededPermutation8Seed42 = [7, 1, 6, 3, 5, 4, 2, 0]

@Suite("Held-out split")
struct SplitTests {
    @Test("sizes, disjoint parts in input order, and the seed")
    func split() throws {
        let items = Array(0..<100)
        let (train, heldOut) = try MimicTrain.split(items, heldOutFraction: 0.1, seed: 3)
        #expect(heldOut.count == 10 && train.count == 90)
        #expect((train + heldOut).sorted() == items)
        #expect(train == train.sorted() && heldOut == heldOut.sorted())
        #expect(try MimicTrain.split(items, heldOutFraction: 0.1, seed: 3).heldOut == heldOut)
        #expect(try MimicTrain.split(items, heldOutFraction: 0.1, seed: 4).heldOut != heldOut)
        #expect(try MimicTrain.split(items, heldOutFraction: 0, seed: 3).heldOut.isEmpty)
        #expect(try MimicTrain.split(items, heldOutFraction: 1, seed: 3).train.isEmpty)
        #expect(try MimicTrain.split(Array(0..<5), heldOutFraction: 0.01, seed: 3).heldOut.count == 1)
        #expect(try MimicTrain.split(Array(0..<5), heldOutFraction: 0.99, seed: 3).train.count == 1)
        #expect(try MimicTrain.split([Int](), heldOutFraction: 0.5, seed: 3) == ([], []))
        #expect(throws: DataOptionError.invalid(option: "heldOutFraction", value: "1.5", expected: "a fraction from 0 to 1 (0.05 holds out 5%)")) {
            try MimicTrain.split(items, heldOutFraction: 1.5, seed: 3)
        }
        #expect(throws: DataOptionError.self) { try MimicTrain.split(items, heldOutFraction: .nan, seed: 3) }
    }
}
