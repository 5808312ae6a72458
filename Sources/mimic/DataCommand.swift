// `mimic data`: curate imitation data (diversity, leakage, …); one subcommand per file, Sources/mimic/Data*.swift.
import ArgumentParser

struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Curate imitation data: diversity, leakage filtering and more, over conversation JSONL.",
        subcommands: [DataDiversity.self, DataLeakage.self])
}
