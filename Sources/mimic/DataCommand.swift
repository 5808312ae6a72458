// `mimic data`: curation of conversation JSONL (import, de-duplicate, filter, subset, split, mix).
import ArgumentParser

struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Curate imitation data: import, de-duplicate, filter, subset, split and mix conversation JSONL.",
        subcommands: [DataImport.self, DataDedup.self, DataFilter.self, DataSubset.self, DataSplit.self, DataMix.self])
}
