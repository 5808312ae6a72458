// The `--tokenizer` option the `mimic data` curation subcommands share.
import ArgumentParser
import Foundation
import MimicCore
import MimicData
import MimicStages
import MimicTokenizers

/// `--tokenizer`: count tokens with `words` (the default), `gpt2`, or a model (`TokenCounter.named`, as every command).
struct TokenCounterOptions: ParsableArguments {
    @Option(help: "Count tokens with: words (default), gpt2, or a model (built-in name such as smollm2-135m-instruct, a .gguf file, a model folder, a tokenizer.json).")
    var tokenizer: String?

    func counter() throws -> TokenCounter { try TokenCounter.named(tokenizer ?? "words") }
}
