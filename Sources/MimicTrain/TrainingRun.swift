// A whole fine-tuning run as `mimic train` does it: open the student (GGUF or HF folder, or the run's own last
// checkpoint to resume), build loss-masked blocks from a conversation file, train, and checkpoint as an HF
// folder with the tokenizer and chat template.
import Foundation
import MimicModels
import MimicTensor
import MimicTokenizers

/// Everything a run is configured by; written beside the output as train_config.json.
public struct TrainRunOptions: Codable, Sendable {
    /// The student: a GGUF file, a Hugging Face folder or a built-in name.
    public var model: String
    /// Path of the conversation JSON Lines file.
    public var data: String
    /// Output folder: checkpoint in `model/`, plus `log.jsonl` and `train_config.json`.
    public var out: String
    /// Chat template name to use instead of the model's own (nil: the model's).
    public var template: String?
    /// Tokens per training block.
    public var blockSize = 512
    /// Whether several examples are packed into one block (else one example per block, padded).
    public var packing = true
    /// Fraction of examples held out for evaluation, 0 to 1.
    public var heldOutFraction = 0.05
    /// Keep only the first N tokens of the shuffled training set (the paper's data-size axis).
    public var maxTokens: Int?
    /// "skip" or "fail" for conversations that cannot be used.
    public var onBadExample = "skip"
    /// Optimizer, schedule and loop settings (a resumed run keeps those saved in its checkpoint).
    public var train = TrainOptions()

    /// Options with the defaults above for the given model, data file and output folder.
    public init(model: String, data: String, out: String) {
        self.model = model
        self.data = data
        self.out = out
    }

    /// The folder holding the latest checkpoint (an HF model folder).
    public var modelFolder: String { out + "/model" }
}

/// What a run did.
public struct TrainRunSummary: Sendable {
    /// The step the run resumed from, nil if it started fresh.
    public var resumedFromStep: Int?
    /// Counts of conversations, examples and tokens read from the data.
    public var examples: ChatExampleSummary
    /// Number of training blocks.
    public var trainBlocks: Int
    /// Number of held-out blocks.
    public var heldOutBlocks: Int
    /// Optimizer steps done by the end (including any before a resume).
    public var steps: Int
    /// Held-out loss after the last step of this call (nil if no step ran or nothing was held out).
    public var finalEvalLoss: Double?
}

/// `mimic train`'s pipeline as a library call.
public enum TrainingRun {
    /// A trainable copy of an opened model and its checkpoint config.
    public static func trainable(_ opened: OpenedModel) throws -> (TrainableModel, HFModelConfig) {
        if let llama = opened.model as? LlamaModel {
            let config = try llama.hfConfig()
            return (try TrainableLlama(config: config, tensors: llama.hfParameters()), .llama(config))
        }
        if let gpt2 = opened.model as? GPT2Model {
            return (try TrainableGPT2(config: gpt2.config, tensors: gpt2.hfParameters()), .gpt2(gpt2.config))
        }
        throw ModelError.unsupportedArchitecture(file: opened.path, architecture: String(describing: type(of: opened.model)))
    }

    /// Runs (or resumes) training; `log` receives one-line reports, `progress` each step.
    public static func run(_ o: TrainRunOptions, log: (String) -> Void,
                           progress: @escaping (StepRecord, TrainerState, Int) -> Void) throws -> TrainRunSummary {
        let resume = try FolderCheckpointStore.resumeState(folder: o.modelFolder)
        let opened = try OpenedModel(resume == nil ? o.model : o.modelFolder)
        if let resume { log("resuming from step \(resume.state.step) in \(o.modelFolder)") }
        let (model, config) = try trainable(opened)
        (model as? TrainableLlama)?.recomputeActivations = (resume?.state.options ?? o.train).recomputeActivations
        let tokenizer = try opened.requireTokenizer()
        let format = try opened.chatFormat(template: o.template)
        let options = resume?.state.options ?? o.train

        let policy: BadInputPolicy = o.onBadExample == "fail" ? .fail : .skip
        let set = try ChatExampleBuilder(tokenizer: tokenizer, format: format)
            .build(file: ConversationFile(url: URL(fileURLWithPath: o.data), policy: policy))
        let s = set.summary
        log("\(o.data): \(s.conversations) conversations, \(s.examples) examples (\(s.trainedTokens) trained of \(s.tokens) tokens); "
            + "skipped: \(s.noTrainedTokens) without trained tokens, \(s.misaligned) misaligned, \(s.templateMismatch) template "
            + "mismatches, \(s.specialTokenInContent) with special-token text; \(set.file.skipped) bad lines")
        for problem in s.problems.prefix(5) { log("  " + (problem.errorDescription ?? "\(problem)")) }
        let (trainExamples, heldOutExamples) = try split(set.examples, heldOutFraction: o.heldOutFraction, seed: options.seed)
        let pad = tokenizer.eosTokenID ?? 0
        let train = try Blocks.make(examples: trainExamples, blockSize: o.blockSize, packing: o.packing, padTokenID: pad,
                                    seed: options.seed, maxTokens: o.maxTokens)
        let heldOut = try Blocks.make(examples: heldOutExamples, blockSize: o.blockSize, packing: o.packing, padTokenID: pad,
                                      seed: options.seed &+ 1)
        guard train.count >= options.batchSize else {
            throw TrainError.notEnoughData(blocks: train.count, batchSize: options.batchSize)
        }
        try FileManager.default.createDirectory(atPath: o.out, withIntermediateDirectories: true)
        var resolved = o
        resolved.train = options
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(resolved).write(to: URL(fileURLWithPath: o.out + "/train_config.json"), options: .atomic)

        let store = FolderCheckpointStore(
            folder: o.modelFolder, config: config, tokenizer: tokenizer, chatTemplate: opened.chatTemplateSource,
            generation: HFGenerationConfig(bosTokenID: tokenizer.bosTokenID, eosTokenIDs: tokenizer.eosTokenID.map { [$0] } ?? []))
        let trainer = try Trainer(model: model, train: train, heldOut: heldOut, options: options, store: store,
                                  log: StepLog(path: o.out + "/log.jsonl"), resume: resume)
        log("\(train.count) training blocks and \(heldOut.count) held-out blocks of \(o.blockSize) tokens; "
            + "\(model.parameterCount) parameters; \(trainer.totalSteps) steps")
        var last: StepRecord?
        try trainer.run { record, state, total in
            last = record
            progress(record, state, total)
        }
        return TrainRunSummary(resumedFromStep: resume?.state.step, examples: s, trainBlocks: train.count,
                               heldOutBlocks: heldOut.count, steps: trainer.state.step, finalEvalLoss: last?.evalLoss)
    }
}
