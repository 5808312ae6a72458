// Training handed to an existing trainer (TRL, torchtune, axolotl, under `sbatch` or `torchrun`): the student's
// imitation data written in TRL's conversational JSONL (`{"messages": [{"role", "content"}, …]}`, the format
// SFTTrainer packs and masks to the assistant turns with `packing` and `assistant_only_loss`), the command run
// through `/bin/sh -c` with `{data}`, `{model}` and `{out}` filled in (shell-quoted), and the Hugging Face
// checkpoint it leaves at the stage's checkpoint path evaluated like any other.
import Foundation
import MimicCore

/// Runs a training command and checks for its checkpoint.
enum ExternalTrainer {
    /// What went wrong with the trainer.
    struct Failure: Error, LocalizedError {
        var message: String
        var errorDescription: String? { message }
    }

    /// Writes `source`'s conversations to `data` in TRL's format, runs `command`, and requires `checkpoint/config.json`.
    static func run(command: String, source: String, data: String, model: String, out: String, checkpoint: String,
                    log: StageLog) throws {
        let (records, _) = try ConversationJSONL.read(URL(fileURLWithPath: source))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var lines = Data()
        for record in records {
            let messages = record.messages.map { ["role": $0.role, "content": $0.content] }
            lines += try encoder.encode(["messages": messages]) + Data("\n".utf8)
        }
        try AtomicFile.write(lines, to: data)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let filled = fill(command, ["data": data, "model": model, "out": out])
        log.write("$ " + filled)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", filled]
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log.path))
        output.seekToEndOfFile()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        try? output.close()
        guard process.terminationStatus == 0 else {
            throw Failure(message: "the training command exited with status \(process.terminationStatus) (its output is in \(log.path))")
        }
        guard FileManager.default.fileExists(atPath: checkpoint + "/config.json") else {
            throw Failure(message: "the training command finished but left no Hugging Face checkpoint at \(checkpoint) (no config.json)")
        }
    }

    /// `template` with each `{name}` replaced by its value, single-quoted for the shell.
    static func fill(_ template: String, _ values: [String: String]) -> String {
        var out = template
        for (name, value) in values {
            out = out.replacingOccurrences(of: "{\(name)}", with: "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'")
        }
        return out
    }
}
