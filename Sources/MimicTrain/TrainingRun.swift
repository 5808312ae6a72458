// A whole fine-tuning run as `mimic train` does it: check the config, open the student (GGUF or HF folder, or the
// run's own last checkpoint to resume, if it was made from the same data and block settings), build loss-masked
// blocks from a conversation file, train, and checkpoint as an HF folder with the tokenizer and chat template.
import Foundation
import MimicCore
import MimicModels
import MimicTensor
import MimicTokenizers

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

    /// Runs (or resumes) training; `log` receives one-line reports, `progress` each step. Throws
    /// `ConfigError` for a bad config, `TrainResumeError` when the checkpoint in `out/model` was made from
    /// other data or block settings, and the errors of reading the model and data.
    public static func run(_ o: TrainConfig, log: (String) -> Void,
                           progress: @escaping (StepRecord, TrainerState, Int) -> Void) throws -> TrainRunSummary {
        try o.validate()
        let fingerprint = try TrainingDataFingerprint(o)
        let resume = try FolderCheckpointStore.resumeState(folder: o.modelFolder)
        if let resume {
            try fingerprint.checkResume(saved: resume.state.dataFingerprint, folder: o.modelFolder, log: log)
            log("resuming from step \(resume.state.step) in \(o.modelFolder)")
        }
        let opened = try OpenedModel(resume == nil ? o.model : o.modelFolder)
        let (model, config) = try trainable(opened)
        let options = resume?.state.options ?? o.train
        (model as? TrainableLlama)?.recomputeActivations = options.recomputeActivations
        let tokenizer = try opened.requireTokenizer()
        let (train, heldOut, s) = try blocks(o, options: options, tokenizer: tokenizer, format: try opened.chatFormat(template: o.template),
                                             log: log)
        guard train.count >= options.batchSize else {
            throw TrainError.notEnoughData(blocks: train.count, batchSize: options.batchSize)
        }
        try FileManager.default.createDirectory(atPath: o.out, withIntermediateDirectories: true)
        var resolved = o
        resolved.train = options
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(resolved), to: o.out + "/train_config.json")

        let store = FolderCheckpointStore(
            folder: o.modelFolder, config: config, tokenizer: tokenizer, chatTemplate: opened.chatTemplateSource,
            generation: HFGenerationConfig(bosTokenID: tokenizer.bosTokenID, eosTokenIDs: tokenizer.eosTokenID.map { [$0] } ?? []))
        let trainer = try Trainer(model: model, train: train, heldOut: heldOut, options: options, store: store,
                                  log: StepLog(path: o.out + "/log.jsonl"), resume: resume, dataFingerprint: fingerprint)
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

    /// The training conversations `--max-tokens` keeps: whole ones, chosen with the subset rule of `mimic data subset`
    /// (`SeededSelection.withinBudget`) from their content-token counts, so the same seed, budget and tokenizer pick
    /// the same conversations. `indices` index `contentTokens`.
    public static func withinBudget(contentTokens: [Int], maxTokens: Int, seed: UInt64) -> SeededSelection.Budgeted {
        SeededSelection.withinBudget(counts: contentTokens, budget: maxTokens, seed: seed)
    }

    /// The training and held-out blocks of the config's data, and the counts of what was read (logged).
    static func blocks(_ o: TrainConfig, options: TrainOptions, tokenizer: BPETokenizer, format: ChatFormat,
                       log: (String) -> Void) throws -> (train: [TrainingBlock], heldOut: [TrainingBlock], ChatExampleSummary) {
        let set = try ChatExampleBuilder(tokenizer: tokenizer, format: format)
            .build(file: ConversationFile(url: URL(fileURLWithPath: o.data), policy: o.onBadExample))
        let s = set.summary
        log("\(o.data): \(s.conversations) conversations, \(s.examples) examples (\(s.trainedTokens) trained of \(s.tokens) tokens); "
            + "skipped: \(s.noTrainedTokens) without trained tokens, \(s.misaligned) misaligned, \(s.templateMismatch) template "
            + "mismatches, \(s.specialTokenInContent) with special-token text; \(set.file.skipped) bad lines")
        for problem in s.problems.prefix(5) { log("  " + (problem.errorDescription ?? "\(problem)")) }
        let (trainIndices, heldOutIndices) = try split(Array(set.examples.indices), heldOutFraction: o.heldOutFraction, seed: options.seed)
        var trainExamples = trainIndices.map { set.examples[$0] }
        if let maxTokens = o.maxTokens {
            let kept = withinBudget(contentTokens: trainIndices.map { set.contentTokens[$0] }, maxTokens: maxTokens, seed: options.seed)
            log("max tokens \(maxTokens): kept \(kept.indices.count) of \(trainExamples.count) training conversations whole, "
                + "\(kept.tokens) content tokens (counted as `mimic data subset --tokenizer` counts them)")
            trainExamples = kept.indices.map { trainExamples[$0] }
        }
        let pad = tokenizer.eosTokenID ?? 0
        let train = try Blocks.make(examples: trainExamples, blockSize: o.blockSize, packing: o.packing, padTokenID: pad,
                                    seed: options.seed)
        let heldOut = try Blocks.make(examples: heldOutIndices.map { set.examples[$0] }, blockSize: o.blockSize, packing: o.packing,
                                      padTokenID: pad, seed: options.seed &+ 1)
        return (train, heldOut, s)
    }
}
