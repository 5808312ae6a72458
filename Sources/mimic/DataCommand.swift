// `mimic data`: curation of conversation JSONL (import, de-duplicate, filter by language and length, subset, split,
// mix, diversity, leakage, statistics).
import ArgumentParser

struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Curate imitation data: import, de-duplicate, filter, subset, split, mix; diversity, leakage, statistics.",
        subcommands: [DataImport.self, DataDedup.self, DataLanguage.self, DataFilter.self, DataSubset.self, DataSplit.self,
                      DataMix.self, DataDiversity.self, DataLeakage.self, DataStatsCommand.self])
}
