// `mimic serve`: an OpenAI-compatible HTTP server over a local model (chat completions, completions with
// echo/logprobs, models, streaming), until SIGINT or SIGTERM. The flags become a `ServeConfig`.
import ArgumentParser
import Foundation
import MimicServer
import MimicStages

struct Serve: AsyncParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        abstract: "Serve a model over an OpenAI-compatible API (/v1/chat/completions, /v1/completions, /v1/models).")

    @Argument(help: "A GGUF file, a Hugging Face model folder, or a built-in name (default: smollm2-135m-instruct).")
    var model: String?
    @Option(help: "A config file (YAML or JSON) with ServeConfig's keys; flags override it.") var config: String?
    @Option(name: .shortAndLong, help: "Threads for kernels and BLAS (default: all cores).") var threads: Int?
    @Flag(help: "Keep activations in FP32 (slower; by default they are rounded as llama.cpp rounds them: to 8 bits for 4- to 8-bit weights at generation, to BF16 for BF16 weights on AVX512_BF16 CPUs).")
    var exact = false
    @Option(help: "Host to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (0 picks a free one; default 8080).") var port: Int?
    @Option(help: "Require this API key as 'Authorization: Bearer KEY' (default: $MIMIC_SERVER_API_KEY, else none).")
    var apiKey: String?
    @Option(help: "The model name clients send (default: the built-in name or the file name).") var modelName: String?
    @Option(help: "Largest request body, in MB (default 4).") var maxBodyMb: Double?
    @Option(help: "Most sequences decoded together; more requests wait (default 16).") var parallel: Int?
    @Option(help: "Prompt tokens run in one piece while other sequences decode, so a long prompt does not stall them (0: whole prompts; default 256).")
    var prefillChunk: Int?
    @Option(help: "Most sequences waiting for a place; more get 429 (default 256).") var maxQueued: Int?
    @Option(help: "Most tokens one request may ask for across its choices, n × max_tokens (default 65536).") var maxRequestTokens: Int?
    @Option(help: "Open connections at most; more are closed at once (default 512).") var maxConnections: Int?
    @Option(help: "Seconds a connection may wait without a request, or take to send its headers (default 30).") var idleTimeout: Double?
    @Option(help: "Seconds a request body may take to arrive; 408 after (default 30).") var bodyTimeout: Double?
    @Flag(help: "Serve no model: answer every chat completion with its last user message at once (for measuring clients).")
    var echo = false

    func run() async throws {
        let resolved = try ConfigResolver.resolve(ServeConfig(), file: config, environmentPrefix: "MIMIC_SERVE", flags: self,
                                                  except: ["config", "echo"]) { c in
            if apiKey == nil, let key = ProcessInfo.processInfo.environment["MIMIC_SERVER_API_KEY"] { c.apiKey = key }
        }
        if echo {
            let server = try await EchoServer.start(host: resolved.host, port: resolved.port, apiKey: resolved.apiKey,
                                                    maxBodyBytes: resolved.serverConfiguration.maxBodyBytes, handleSignals: true)
            print("mimic serve: echo at \(server.baseURL)\(resolved.apiKey == nil ? "" : " (API key required)")")
            fflush(stdout)
            return try await server.wait()
        }
        let server = try await LocalServer.start(resolved, handleSignals: true)
        print("mimic serve: \(server.modelName) at \(server.baseURL)\(resolved.apiKey == nil ? "" : " (API key required)")")
        fflush(stdout)
        try await server.wait()
    }
}
