// The train stage's typed config: every setting of a `mimic train` run, its choices as enums, checked once by
// `validate()`, and decoded from JSON with errors that name the field.
import Foundation
import MimicCore

/// Everything a run is configured by; written beside the output as train_config.json (these property names are
/// its keys).
public struct TrainConfig: StageConfig, Equatable {
    /// The student: a GGUF file, a Hugging Face folder or a built-in name.
    public var model: String
    /// Path of the conversation JSON Lines file.
    public var data: String
    /// Output folder: checkpoint in `model/`, plus `log.jsonl` and `train_config.json`.
    public var out: String
    /// Chat template name to use instead of the model's own (nil: the model's).
    public var template: String?
    /// Tokens per training block, at least 8.
    public var blockSize = 512
    /// Whether several examples are packed into one block (else one example per block, padded).
    public var packing = true
    /// Fraction of examples held out for evaluation, in [0, 1).
    public var heldOutFraction = 0.05
    /// The data-size axis: keep whole training conversations, in a seeded order, while their content tokens (the
    /// model's tokenizer, no template) stay within N — the rule and count of `mimic data subset --tokens N`.
    public var maxTokens: Int?
    /// What to do with conversations that cannot be used: skip them (counted and reported) or fail.
    public var onBadExample = BadInputPolicy.skip
    /// Optimizer, schedule and loop settings (a resumed run keeps those saved in its checkpoint).
    public var train = TrainOptions()

    /// A config with the defaults above for the given model, data file and output folder.
    public init(model: String, data: String, out: String) {
        self.model = model
        self.data = data
        self.out = out
    }

    /// The folder holding the latest checkpoint (an HF model folder).
    public var modelFolder: String { out + "/model" }

    /// Checks every field; throws `ConfigError` naming the first bad one by its key (snake_case, as config files
    /// write it) with a hint.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ value: Any, _ hint: String) throws {
            guard ok else { throw ConfigError(field: field, problem: "is \(value)", hint: hint) }
        }
        try check(!model.isEmpty, "model", "empty", "name a GGUF file, an HF folder or a built-in model")
        try check(FileManager.default.fileExists(atPath: data), "data", data, "no such file; give a conversation JSON Lines file")
        try check(!out.isEmpty, "out", "empty", "name the output folder")
        try check(blockSize >= 8, "block_size", blockSize, "it must be at least 8 tokens")
        try check((0..<1).contains(heldOutFraction), "held_out_fraction", heldOutFraction, "it must be in [0, 1)")
        if let maxTokens { try check(maxTokens >= 1, "max_tokens", maxTokens, "it must be at least 1 (leave it out to keep all)") }
        let t = train
        for (key, value) in [("epochs", t.epochs), ("batch_size", t.batchSize), ("micro_batch", t.microBatch)] {
            try check(value >= 1, "train." + key, value, "it must be at least 1")
        }
        for (key, value) in [("warmup_steps", t.warmupSteps), ("eval_every", t.evalEvery), ("checkpoint_every", t.checkpointEvery),
                             ("max_steps", t.maxSteps)] {
            try check(value >= 0, "train." + key, value, "it must be 0 or more")
        }
        let o = t.optimizer
        try check(o.learningRate > 0 && o.learningRate.isFinite, "train.optimizer.learning_rate", o.learningRate, "it must be positive")
        try check(o.weightDecay >= 0, "train.optimizer.weight_decay", o.weightDecay, "it must be 0 or more")
        try check(o.clipNorm >= 0, "train.optimizer.clip_norm", o.clipNorm, "it must be 0 or more (0: no clipping)")
        try check((0..<1).contains(o.beta1), "train.optimizer.beta1", o.beta1, "it must be in [0, 1)")
        try check((0..<1).contains(o.beta2), "train.optimizer.beta2", o.beta2, "it must be in [0, 1)")
        try check(o.epsilon > 0, "train.optimizer.epsilon", o.epsilon, "it must be positive")
    }

    /// A config from JSON (train_config.json's form); an unknown choice, a missing key or a wrong type is a
    /// `ConfigError` naming `file` and the field's dotted key path.
    public static func decode(_ json: Data, file: String) throws -> TrainConfig {
        do {
            return try JSONDecoder().decode(TrainConfig.self, from: json)
        } catch let error as DecodingError {
            throw ConfigError(error, location: file)
        }
    }
}

/// How the learning rate falls after the warm-up.
public enum LRDecay: String, ConfigChoice {
    /// Stays at the peak.
    case constant
    /// Falls linearly to 0 at the last step.
    case linear
    /// Follows half a cosine to 0 at the last step.
    case cosine
}

/// A starting recipe for `TrainOptions`.
public enum TrainPreset: String, ConfigChoice {
    /// `TrainOptions()`: AdamW 1e-4 after 10 warm-up steps, batch 4.
    case `default`
    /// `TrainOptions.paper`: the paper's section 4.1 recipe.
    case paper

    /// The options this preset starts from.
    public var options: TrainOptions { self == .paper ? .paper : TrainOptions() }
}

