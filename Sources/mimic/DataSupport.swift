// Options the `mimic data` curation subcommands share: `--tokenizer` and `--config`.
import ArgumentParser
import Foundation
import MimicCore
import MimicData
import MimicStages
import MimicTokenizers

/// `--tokenizer`: count tokens with `words` (the default), `gpt2`, or a model (`TokenCounter.named`, as every command).
struct TokenCounterOptions: ParsableArguments, Encodable {
    @Option(help: "Count tokens with: words (default), gpt2, or a model (built-in name such as smollm2-135m-instruct, a .gguf file, a model folder, a tokenizer.json).")
    var tokenizer: String?
}

/// `--config FILE`: the step's configuration file, under the environment and the flags.
struct ConfigFileOption: ParsableArguments, Encodable {
    @Option(name: .customLong("config"),
            help: "A config file (YAML or JSON) with the step's config keys (the OUT.<step>.json it wrote is one too); flags override it.")
    var path: String?

    /// Not a layer of its own among the flags: it names the file layer.
    func encode(to encoder: Encoder) throws { _ = encoder.container(keyedBy: CodingKeys.self) }
}
