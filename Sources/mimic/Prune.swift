// `mimic prune`: keep some decoder layers of a model and write it as a Hugging Face checkpoint.
import ArgumentParser
import Foundation
import MimicModels

struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keep some decoder layers of a model and write it as a Hugging Face checkpoint (dense FP32).")

    @Argument(help: "A GGUF file, a Hugging Face model folder, or a built-in name.") var model: String
    @Option(help: ArgumentHelp("The checkpoint folder to write (an existing checkpoint there is replaced).", valueName: "DIR"))
    var out: String
    @Flag(help: "Keep layers 0, 2, 4, …") var everyOther = false
    @Option(help: ArgumentHelp("Keep the first K layers.", valueName: "K")) var first: Int?
    @Option(help: ArgumentHelp("Keep these layers: indices from 0, comma-separated, increasing (0,3,5).", valueName: "LIST"))
    var layers: String?

    func run() throws {
        let selection = try layerSelection()
        let opened = try OpenedModel(model)
        let summary = try Pruning.prune(model: opened, keep: selection, to: out)
        print("wrote \(summary.folder): \(summary.kept.count) of \(summary.originalLayerCount) layers "
              + "(\(summary.kept.map(String.init).joined(separator: ","))), \(summary.parameterCount) parameters")
    }

    /// The one selection given on the command line.
    func layerSelection() throws -> LayerSelection {
        let given = [everyOther, first != nil, layers != nil].filter { $0 }.count
        guard given == 1 else {
            throw CheckpointError.badLayerSelection("give exactly one of --every-other, --first K, --layers LIST")
        }
        if everyOther { return .everyOther }
        if let first { return .first(first) }
        guard let layers, !layers.trimmingCharacters(in: .whitespaces).isEmpty else { return .list([]) }
        let items = layers.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let indices = try items.map { item in
            guard let i = Int(item) else {
                throw CheckpointError.badLayerSelection("'\(item)' in --layers is not a layer index (use e.g. 0,3,5)")
            }
            return i
        }
        return .list(indices)
    }
}
