// `mimic data split`: a seeded train / held-out split, by fraction or count.
import ArgumentParser
import Foundation
import MimicData

struct DataSplit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Split conversations into train and held-out sets (seeded).")

    @Argument(help: "The conversation JSONL.") var input: String
    @Option(help: "The train JSONL to write.") var train: String
    @Option(name: .customLong("held-out"), help: "The held-out JSONL to write.") var heldOut: String
    @Option(help: "Held-out fraction (0...1).") var fraction: Double?
    @Option(help: "Held-out count (instead of --fraction).") var count: Int?
    @Option(help: "The seed.") var seed: UInt64 = 0

    func validate() throws {
        guard (fraction == nil) != (count == nil) else { throw ValidationError("give exactly one of --fraction or --count") }
    }

    func run() throws {
        let records = try readRecords(input)
        let size: Subsets.HeldOut = fraction.map { .fraction($0) } ?? .count(count ?? 0)
        let (trainSet, held) = try Subsets.split(records, heldOut: size, seed: seed)
        try ConversationJSONL.write(trainSet, to: URL(fileURLWithPath: train))
        try ConversationJSONL.write(held, to: URL(fileURLWithPath: heldOut))
        print("train \(trainSet.count) -> \(train); held-out \(held.count) -> \(heldOut)")
    }
}
