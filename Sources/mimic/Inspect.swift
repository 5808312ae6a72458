// `mimic inspect`: what a model is: architecture, sizes, quantization, tokenizer and chat template. The flags (over
// `--config` and MIMIC_INSPECT_*) become an `InspectConfig`; `ModelTools.describe` works.
import ArgumentParser
import Foundation
import MimicStages

struct Inspect: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(abstract: "Describe a model: architecture, sizes, quantization, tokenizer, template.")

    @OptionGroup var modelFlags: ModelFlags
    @OptionGroup var config: ConfigFileOption
    @Flag(help: "Also list every tensor (GGUF) and metadata key.") var all = false

    func run() throws {
        let resolved = try ConfigResolver.resolve(InspectConfig(), file: config.path, environmentPrefix: "MIMIC_INSPECT", flags: self)
        for line in try ModelTools.describe(resolved) { print(line) }
    }
}
