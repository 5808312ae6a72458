// `mimic data`: the curation commands over conversation JSONL (filters, statistics).
import ArgumentParser

struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Curate imitation data: filter conversations by language and read a file's statistics.",
        subcommands: [DataLanguage.self, DataStatsCommand.self])
}
