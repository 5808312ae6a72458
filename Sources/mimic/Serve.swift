// `mimic serve`: an OpenAI-compatible HTTP server over a local model (chat completions, completions with
// echo/logprobs, models, streaming), until SIGINT or SIGTERM.
import ArgumentParser
import Foundation
import MimicModels
import MimicServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a model over an OpenAI-compatible API (/v1/chat/completions, /v1/completions, /v1/models).")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Host to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one).") var port = 8080
    @Option(help: "Require this API key as 'Authorization: Bearer KEY' (default: $MIMIC_SERVER_API_KEY, else none).")
    var apiKey: String?
    @Option(help: "The model name clients send (default: the built-in name or the file name).") var modelName: String?
    @Option(help: "Largest request body, in MB.") var maxBodyMb = 4.0
    @Option(help: "Most sequences decoded together; more requests wait.") var parallel = 16
    @Flag(help: "Serve no model: answer every chat completion with its last user message at once (for measuring clients).")
    var echo = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard maxBodyMb > 0, maxBodyMb <= 1024 else { throw ValidationError("--max-body-mb must be in (0, 1024]") }
        guard (1...256).contains(parallel) else { throw ValidationError("--parallel must be in 1...256") }
    }

    func run() async throws {
        if echo {
            let server = try await EchoServer.start(host: host, port: port, handleSignals: true)
            print("mimic serve: echo at \(server.baseURL)")
            fflush(stdout)
            return try await server.wait()
        }
        let opened = try modelOptions.open()
        let name = modelName ?? defaultName(modelOptions.model)
        let key = apiKey ?? ProcessInfo.processInfo.environment["MIMIC_SERVER_API_KEY"]
        let configuration = ServerConfiguration(host: host, port: port, modelName: name, apiKey: key,
                                                maxBodyBytes: Int(maxBodyMb * 1_048_576), parallel: parallel)
        let server = try await LocalServer.start(model: opened, configuration: configuration, handleSignals: true)
        print("mimic serve: \(server.modelName) at \(server.baseURL)\(configuration.apiKey == nil ? "" : " (API key required)")")
        fflush(stdout)
        try await server.wait()
    }

    /// The built-in name as given, else the file or folder name without its extension.
    private func defaultName(_ model: String) -> String {
        if ModelCache.builtins[model.lowercased()] != nil { return model.lowercased() }
        let last = URL(fileURLWithPath: model).lastPathComponent
        return last.hasSuffix(".gguf") ? String(last.dropLast(5)) : last
    }
}
