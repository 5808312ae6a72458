// OpenedModel: a model with what is known about it (format, path, GGUF metadata), opened from a name or path.
import Foundation

/// A model opened from a GGUF file, a Hugging Face folder, or a built-in name.
public struct OpenedModel: Sendable {
    public let path: String
    public let model: any LanguageModel
    /// The GGUF file, when the model came from one.
    public let gguf: GGUFFile?

    /// Opens `nameOrPath`: a `.gguf` file, a folder with `config.json`, or a built-in name.
    public init(_ nameOrPath: String) throws {
        path = try ModelCache.resolve(nameOrPath)
        var isDir: ObjCBool = false
        FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
        if isDir.boolValue {
            model = try HFModelFolder.loadModel(folder: path)
            gguf = nil
        } else {
            let file = try GGUFFile(path: path)
            model = try file.loadModel()
            gguf = file
        }
    }
}
