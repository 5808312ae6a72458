// Checkpoints on disk: the model as a Hugging Face folder (which transformers, vLLM and `mimic generate` load),
// with the optimizer moments (optimizer.safetensors) and the trainer state (trainer_state.json) inside it,
// all replaced in one rename so an interrupted save leaves the previous checkpoint whole.
import Foundation
import MimicCore
import MimicModels
import MimicTensor
import MimicTokenizers

/// Saves checkpoints into one folder, replacing the previous one atomically.
public final class FolderCheckpointStore: CheckpointStore {
    /// The checkpoint folder each save replaces.
    public let folder: String
    let config: HFModelConfig
    let tokenizer: BPETokenizer?
    let chatTemplate: String?
    let generation: HFGenerationConfig

    /// A store writing to `folder` with the given architecture config, tokenizer files, Jinja chat template
    /// and generation config.
    public init(folder: String, config: HFModelConfig, tokenizer: BPETokenizer?, chatTemplate: String?,
                generation: HFGenerationConfig) {
        self.folder = folder
        self.config = config
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
        self.generation = generation
    }

    /// Name of the file holding the AdamW moments inside a checkpoint folder.
    public static let optimizerFile = "optimizer.safetensors"
    /// Name of the JSON file holding the TrainerState inside a checkpoint folder.
    public static let stateFile = "trainer_state.json"

    /// Writes the model, optimizer moments and state into `folder.saving`, then swaps it in for `folder`;
    /// rethrows write errors (CheckpointError and file system errors).
    public func save(model: TrainableModel, optimizer: AdamW, state: TrainerState) throws {
        // Write the HF folder first into a staging folder, add the trainer files, then swap it into place.
        let staging = folder + ".saving"
        try? FileManager.default.removeItem(atPath: staging)
        try HFCheckpoint.write(folder: staging, config: config, tensors: model.huggingFaceTensors(), tokenizer: tokenizer,
                               chatTemplate: chatTemplate, generation: generation)
        try SafeTensorsWriter.write(optimizer.stateTensors().mapValues(TensorValues.init), to: staging + "/" + Self.optimizerFile)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(encoder.encode(state), to: staging + "/" + Self.stateFile)
        let old = folder + ".old"
        try? FileManager.default.removeItem(atPath: old)
        if FileManager.default.fileExists(atPath: folder) { try FileManager.default.moveItem(atPath: folder, toPath: old) }
        try FileManager.default.moveItem(atPath: staging, toPath: folder)
        try? FileManager.default.removeItem(atPath: old)
    }

    /// The trainer state and optimizer moments of a checkpoint folder, if it holds them. A save interrupted
    /// between moving the old checkpoint aside and moving the new one in is undone first (the old one comes back).
    public static func resumeState(folder: String) throws -> (state: TrainerState, optimizer: [String: Tensor])? {
        let fm = FileManager.default
        if !fm.fileExists(atPath: folder) && fm.fileExists(atPath: folder + ".old") {
            try fm.moveItem(atPath: folder + ".old", toPath: folder)
        }
        let statePath = folder + "/" + stateFile
        guard let data = FileManager.default.contents(atPath: statePath) else { return nil }
        let state = try JSONDecoder().decode(TrainerState.self, from: data)
        let file = try SafeTensorsFile(path: folder + "/" + optimizerFile)
        var moments: [String: Tensor] = [:]
        let source = SafeTensorsSource(files: [file], path: folder)
        for name in source.names {
            guard let info = source.tensorInfo(name) else { continue }
            let flat = try source.floats(name, count: info.elementCount), moment = Tensor(zeros: info.shape)   // as saved
            moment.data.update(from: flat.data, count: flat.count)
            moments[name] = moment
        }
        return (state, moments)
    }
}
