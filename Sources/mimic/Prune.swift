// `mimic prune`: keep some decoder layers of a model and write it as a Hugging Face checkpoint. The flags (over
// `--config` and MIMIC_PRUNE_*) become a `PruneConfig`; `ModelTools.prune` works and writes OUT/prune_config.json.
import ArgumentParser
import Foundation
import MimicCore
import MimicModels
import MimicStages

struct Prune: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        abstract: "Keep some decoder layers of a model and write it as a Hugging Face checkpoint (dense FP32).")

    @Argument(help: "A GGUF file, a Hugging Face model folder, or a built-in name.") var model: String?
    @OptionGroup var config: ConfigFileOption
    @Option(help: ArgumentHelp("The checkpoint folder to write (an existing checkpoint there is replaced).", valueName: "DIR"))
    var out: String?
    @Flag(help: "Keep layers 0, 2, 4, …") var everyOther = false
    @Option(help: ArgumentHelp("Keep the first K layers.", valueName: "K")) var first: Int?
    @Option(help: ArgumentHelp("Keep these layers: indices from 0, comma-separated, increasing (0,3,5).", valueName: "LIST"))
    var layers: String?

    func run() throws {
        let resolved = try ConfigResolver.resolve(PruneConfig(), file: config.path, environmentPrefix: "MIMIC_PRUNE", flags: self,
                                                  except: ["layers"]) { c in
            if let layers { c.layers = try Self.indices(layers) }
        }
        let summary = try ModelTools.prune(resolved)
        print("wrote \(summary.folder): \(summary.kept.count) of \(summary.originalLayerCount) layers "
              + "(\(summary.kept.map(String.init).joined(separator: ","))), \(summary.parameterCount) parameters")
    }

    /// The indices of `--layers 0,3,5`.
    static func indices(_ text: String) throws -> [Int] {
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { return [] }
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }.map { item in
            guard let i = Int(item) else {
                throw CheckpointError.badLayerSelection("'\(item)' in --layers is not a layer index (use e.g. 0,3,5)")
            }
            return i
        }
    }
}
