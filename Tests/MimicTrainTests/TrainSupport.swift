// Test support for training: fixture paths and loading the tiny models' tensors by Hugging Face name.
import Foundation
import MimicModels
import MimicTensor
import MimicTrain
import Testing

enum TrainFixtures {
    /// MimicModelsTests' resources (the tiny models live there).
    static var models: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("MimicModelsTests/Resources").path
    }
    static var resources: String { Bundle.module.bundlePath + "/Resources" }

    static func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    /// Every tensor of a safetensors folder, in its stored shape, by name.
    static func tensors(_ folder: String) throws -> [String: Tensor] {
        let source = try SafeTensorsSource(folder: folder)
        var out: [String: Tensor] = [:]
        for name in source.names {
            let info = try #require(source.tensorInfo(name))
            let flat = try source.floats(name, count: info.elementCount)
            out[name] = Tensor(shape: info.shape, values: flat.array)
        }
        return out
    }

    static func tinyGPT2() throws -> TrainableGPT2 {
        let folder = models + "/tiny-gpt2"
        let config = try JSONDecoder().decode(GPT2Config.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/config.json")))
        return try TrainableGPT2(config: config, tensors: tensors(folder))
    }

    static func tinyLlama() throws -> TrainableLlama {
        let folder = models + "/tiny-llama"
        let config = try JSONDecoder().decode(LlamaConfig.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/config.json")))
        return try TrainableLlama(config: config, tensors: tensors(folder))
    }
}
