// `mimic data split`: a seeded train / held-out split, by fraction or count (the split `mimic train` uses). The flags
// (over `--config`, MIMIC_DATA_SPLIT_* and the defaults) become a `DataSplitConfig`; `DataStages.split` works.
import ArgumentParser
import Foundation
import MimicCore
import MimicData
import MimicStages

struct DataSplit: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Split conversations into train and held-out sets (seeded).")

    @Argument(help: "The conversation JSONL.") var input: String?
    @OptionGroup var config: ConfigFileOption
    @Option(help: "The train JSONL to write.") var train: String?
    @Option(name: .customLong("held-out"), help: "The held-out JSONL to write.") var heldOut: String?
    @Option(help: "Held-out fraction (0...1; above 0 holds out at least one, below 1 keeps at least one).") var fraction: Double?
    @Option(help: "Held-out count (instead of --fraction).") var count: Int?
    @Option(help: "The seed (default 0).") var seed: UInt64?

    /// The config: defaults, then the file, MIMIC_DATA_SPLIT_*, then these flags (a flag's fraction or count
    /// replaces the other).
    func resolved() throws -> DataSplitConfig {
        try ConfigResolver.resolve(DataSplitConfig(), file: config.path, environmentPrefix: "MIMIC_DATA_SPLIT", flags: self,
                                   except: ["fraction", "count"]) { c in
            if let fraction { (c.fraction, c.count) = (fraction, count) }
            if let count { (c.count, c.fraction) = (count, fraction) }
        }
    }

    func run() throws {
        let summary = try DataStages.split(try resolved(), log: printError)
        print("train \(summary.train) -> \(summary.config.train); held-out \(summary.heldOut) -> \(summary.config.heldOut)")
    }
}
