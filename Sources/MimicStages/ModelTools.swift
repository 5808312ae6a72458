// The model tools as library calls, each with a typed config: `mimic inspect`, `tokenize`, `generate`, `bench` and
// `perplexity` only turn their flags (over `--config FILE` and MIMIC_<COMMAND>_*) into these and print what comes back.
// Every config has the keys `model`, `threads` and `exact` of the model it opens.
import Foundation
import MimicCore
import MimicModels
import MimicTensor
import MimicTokenizers

/// The model a tool opens, with its thread and precision settings.
public enum ModelTools {
    /// The model every tool opens when none is named.
    public static let defaultModel = "smollm2-135m-instruct"

    /// Applies `threads` (nil: all cores) and opens `model` (and its tokenizer unless told not to), with 8-bit
    /// activations in quantized mat-vecs unless `exact`.
    public static func open(_ model: String, threads: Int?, exact: Bool, loadTokenizer: Bool = true) throws -> OpenedModel {
        if let threads { Threads.set(threads) }
        let opened = try OpenedModel(model, loadTokenizer: loadTokenizer)
        opened.model.exactActivations = exact
        return opened
    }

    /// Throws unless exactly one of `prompt` and `file` is given.
    static func checkPrompt(_ prompt: String?, file: String?) throws {
        try ConfigError.require((prompt == nil) != (file == nil), "prompt", "and file are both given or both missing",
                                hint: "give exactly one of them")
    }

    /// The text of `prompt` or of the file `file`, exactly one of which must be given.
    static func text(prompt: String?, file: String?) throws -> String {
        try checkPrompt(prompt, file: file)
        if let prompt { return prompt }
        return try readText(file ?? "")
    }

    /// A text file's contents (bytes that are not UTF-8 become U+FFFD, as llama.cpp's tools read them).
    static func readText(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(field: "file", problem: "cannot read \(path)", hint: "give a readable text file")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Peak resident memory of this process in MB (VmHWM).
    public static func peakResidentMB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
        }
        return 0
    }
}

// MARK: - tokenize

/// What `mimic tokenize` is configured by.
public struct TokenizeConfig: StageConfig, Hashable {
    public var model = ModelTools.defaultModel
    public var threads: Int?
    public var exact = false
    /// The text (or `file`).
    public var prompt: String?
    /// A file holding the text.
    public var file: String?
    /// Treat special-token text (`<|im_start|>`) as plain text.
    public var noParseSpecial = false
    /// Prepend BOS even if the model does not.
    public var bos = false

    public init() {}

    public func validate() throws {
        try ConfigError.requireThreads(threads)
        try ModelTools.checkPrompt(prompt, file: file)
    }
}

/// One token of a text: its id and the bytes it stands for, as text.
public struct TokenPiece: Codable, Hashable, Sendable {
    public var id: Int
    public var piece: String
}

extension ModelTools {
    /// The tokens of the config's text under the model's tokenizer.
    public static func tokenize(_ c: TokenizeConfig) throws -> [TokenPiece] {
        try c.validate()
        let text = try text(prompt: c.prompt, file: c.file)
        let tokenizer = try open(c.model, threads: c.threads, exact: c.exact).requireTokenizer()
        return tokenizer.encode(text, addBOS: c.bos || tokenizer.addsBOS, parseSpecial: !c.noParseSpecial).map {
            TokenPiece(id: $0, piece: String(decoding: tokenizer.tokenBytes($0), as: UTF8.self))
        }
    }
}

// MARK: - generate

/// What `mimic generate` is configured by: the model, the prompt, how it is given, and the sampling.
public struct GenerateConfig: StageConfig, SamplingKeys, Hashable {
    public var model = ModelTools.defaultModel
    public var threads: Int?
    public var exact = false
    /// The prompt (or `file`).
    public var prompt: String?
    /// A file holding the prompt.
    public var file: String?
    /// Give the prompt to the model as it is, without the chat template.
    public var raw = false
    /// A system message (chat mode).
    public var system: String?
    /// Chat template: chatml, llama2, llama3 or vicuna (nil: the model's own).
    public var template: String?
    /// Most tokens to generate.
    public var maxTokens = 256
    /// Temperature; 0 is greedy.
    public var temperature = 0.0
    /// Keep the k most likely tokens (0: all).
    public var topK = 0
    /// Nucleus sampling threshold (1: off).
    public var topP = 1.0
    /// Drop tokens below min-p × the top probability (0: off).
    public var minP = 0.0
    /// Repetition penalty (1: off).
    public var repeatPenalty = 1.0
    /// Tokens the repetition penalty looks back over (-1: all).
    public var repeatLastN = 64
    /// Random seed; the same seed gives the same text.
    public var seed: UInt64 = 0
    /// Strings that end generation.
    public var stops: [String] = []

    public init() {}

    public func validate() throws {
        try ConfigError.requireThreads(threads)
        try ModelTools.checkPrompt(prompt, file: file)
        try checkSampling()
    }
}

/// The sampling keys of a config that generates (`GenerateConfig`, `ChatConfig`), checked and turned into options
/// in one place.
public protocol SamplingKeys {
    var maxTokens: Int { get }
    var temperature: Double { get }
    var topK: Int { get }
    var topP: Double { get }
    var minP: Double { get }
    var repeatPenalty: Double { get }
    var repeatLastN: Int { get }
    var seed: UInt64 { get }
    var stops: [String] { get }
}

extension SamplingKeys {
    /// Throws for the first sampling key out of range, naming it.
    public func checkSampling() throws {
        try ConfigError.require(maxTokens, in: 1...1_000_000, "max_tokens")
        try ConfigError.require(repeatLastN >= -1, "repeat_last_n", "must be -1 (all) or more")
        try ConfigError.require(temperature >= 0 && temperature.isFinite, "temperature", "must be 0 or more")
        try ConfigError.require(topP > 0 && topP <= 1, "top_p", "must be in (0, 1]")
        try ConfigError.require(minP >= 0 && minP < 1, "min_p", "must be in [0, 1)")
        try ConfigError.require(topK >= 0, "top_k", "must be 0 or more")
        try ConfigError.require(repeatPenalty > 0 && repeatPenalty.isFinite, "repeat_penalty", "must be positive")
    }

    /// The generation options, with the template's own stop strings added.
    public func options(extraStops: [String] = []) -> GenerationOptions {
        GenerationOptions(maxTokens: maxTokens,
                          sampling: SamplingOptions(temperature: temperature, topK: topK, topP: topP, minP: minP,
                                                    repetitionPenalty: repeatPenalty, repeatLastN: repeatLastN, seed: seed),
                          stopStrings: stops + extraStops)
    }
}

extension ModelTools {
    /// One completion of the config's prompt (through the chat template unless `raw`), each piece given to `onPiece`
    /// as it is made; return false from it to stop.
    public static func generate(_ c: GenerateConfig, onPiece: (String) -> Bool = { _ in true }) throws -> GenerationResult {
        try c.validate()
        let text = try text(prompt: c.prompt, file: c.file)
        let opened = try open(c.model, threads: c.threads, exact: c.exact)
        let tokenizer = try opened.requireTokenizer()
        var input = text, extraStops: [String] = []
        if !c.raw {
            let format = try opened.chatFormat(template: c.template)
            var messages = [ChatMessage(role: "user", content: text)]
            if let system = c.system { messages.insert(ChatMessage(role: "system", content: system), at: 0) }
            input = format.prompt(messages)
            extraStops = format.template.stopStrings
        }
        let generator = TextGenerator(model: opened.model, tokenizer: tokenizer, extraStopTokens: extraStops)
        // A chat template writes its own BOS text; a raw prompt gets the tokenizer's default.
        return try generator.generate(prompt: input, options: c.options(extraStops: extraStops), addBOS: c.raw ? nil : false,
                                      onText: onPiece)
    }
}

// MARK: - bench

/// What `mimic bench` is configured by.
public struct BenchConfig: StageConfig, Hashable {
    public var model = ModelTools.defaultModel
    public var threads: Int?
    public var exact = false
    /// Prompt tokens per pp run.
    public var prompt = 512
    /// Tokens per tg run.
    public var generate = 128
    /// Repetitions of each test.
    public var repetitions = 5
    /// Measure the machine's limits (memory read bandwidth, sgemm GFLOPS) instead of the model.
    public var limits = false

    public init() {}

    public func validate() throws {
        try ConfigError.requireThreads(threads)
        try ConfigError.require(prompt, in: 0...(1 << 20), "prompt", unit: "tokens")
        try ConfigError.require(generate, in: 0...(1 << 20), "generate", unit: "tokens")
        try ConfigError.require(prompt > 0 || generate > 0, "prompt", "and generate are both 0", hint: "give one of them")
        try ConfigError.require(repetitions, in: 1...1000, "repetitions")
    }
}

/// What `mimic bench` measured.
public struct BenchReport: Codable, Sendable {
    public var model: String
    public var threads: Int
    public var loadSeconds: Double
    public var peakResidentMB: Int
    public var results: [BenchmarkResult]
    /// The SIMD level the kernels run at: "AVX-512F/BW", "AVX2+FMA+F16C" or "portable C".
    public var simd: String
    /// For each weight type of the model, the kernel each kind of product runs.
    public var kernels: [KernelChoice]
}

/// The kernels that run for one weight type: a decode step (one row), a few rows, and a prompt.
public struct KernelChoice: Codable, Sendable {
    public var type: String
    public var oneRow: String
    public var fourRows: String
    public var prompt: String
}

extension ModelTools {
    /// Prompt-processing and generation speed, as llama-bench measures them.
    /// The machine's limits with the config's threads (`mimic bench --limits`): what the benchmark's figures are
    /// fractions of.
    public static func limits(_ c: BenchConfig) throws -> MachineLimits {
        try c.validate()
        if let threads = c.threads { Threads.set(threads) }
        return MachineLimits.measure(repetitions: c.repetitions)
    }

    public static func bench(_ c: BenchConfig) throws -> BenchReport {
        try c.validate()
        let start = Date()
        let opened = try open(c.model, threads: c.threads, exact: c.exact, loadTokenizer: false)
        let loadSeconds = Date().timeIntervalSince(start)
        let results = try Benchmark.run(model: opened.model, prompt: c.prompt, generate: c.generate, repetitions: c.repetitions)
        let one = opened.model.kernelPaths(batch: 1), four = opened.model.kernelPaths(batch: 4)
        let many = opened.model.kernelPaths(batch: WeightMatrix.fusedBatchLimit + 1)
        let kernels = one.indices.map { i in
            KernelChoice(type: one[i].type.description, oneRow: one[i].path, fourRows: four[i].path, prompt: many[i].path)
        }
        let simd = ["portable C", "AVX2+FMA+F16C", "AVX-512F/BW"][min(max(Kernels.simdLevel, 0), 2)]
        return BenchReport(model: opened.path, threads: Threads.count, loadSeconds: loadSeconds, peakResidentMB: peakResidentMB(),
                           results: results, simd: simd, kernels: kernels)
    }
}

// MARK: - perplexity

/// What `mimic perplexity` is configured by.
public struct PerplexityConfig: StageConfig, Hashable {
    public var model = ModelTools.defaultModel
    public var threads: Int?
    public var exact = false
    /// The text file.
    public var file = ""
    /// Window size in tokens.
    public var ctx = 512

    public init() {}

    public func validate() throws {
        try ConfigError.requireThreads(threads)
        try ConfigError.require(!file.isEmpty, "file", "is missing", hint: "give the text file")
        try ConfigError.require(ctx >= 4, "ctx", "must be at least 4 tokens")
    }
}

/// The perplexity of a text, as llama-perplexity computes it.
public struct PerplexityReport: Codable, Sendable {
    public var file: String
    public var tokens: Int
    public var chunks: Int
    public var perplexity: Double
    public var scoredTokens: Int
}

extension ModelTools {
    /// The file's perplexity in llama-perplexity's way (windows of `ctx` tokens, second halves scored); `onStart`
    /// gets the token and chunk counts before the first window, `onChunk` each window's running perplexity.
    public static func perplexity(_ c: PerplexityConfig, onStart: (_ tokens: Int, _ chunks: Int) -> Void = { _, _ in },
                                  onChunk: (_ index: Int, _ perplexity: Double) -> Void = { _, _ in }) throws -> PerplexityReport {
        try c.validate()
        var text = try readText(c.file)
        if text.hasSuffix("\n") { text.removeLast() }  // as llama-perplexity reads -f
        let opened = try open(c.model, threads: c.threads, exact: c.exact)
        let tokenizer = try opened.requireTokenizer()
        try ConfigError.require(c.ctx <= opened.model.contextLength, "ctx",
                                "\(c.ctx) is larger than the model's context (\(opened.model.contextLength))")
        let tokens = tokenizer.encode(text, addBOS: tokenizer.addsBOS, parseSpecial: false)
        onStart(tokens.count, tokens.count / c.ctx)
        let result = try withoutActuallyEscaping(onChunk) { onChunk in
            try opened.model.perplexity(tokens: tokens, context: c.ctx, bos: tokenizer.addsBOS ? tokenizer.bosTokenID : nil) { i, _, ppl in
                onChunk(i, ppl)
            }
        }
        return PerplexityReport(file: c.file, tokens: tokens.count, chunks: tokens.count / c.ctx, perplexity: result.perplexity,
                                scoredTokens: result.scoredTokens)
    }
}

// MARK: - prune

/// What `mimic prune` is configured by: the model, the checkpoint folder, and exactly one layer selection.
public struct PruneConfig: StageConfig, Hashable {
    /// A GGUF file, a Hugging Face folder or a built-in name.
    public var model = ""
    /// The checkpoint folder to write (an existing checkpoint there is replaced).
    public var out = ""
    /// Keep layers 0, 2, 4, …
    public var everyOther = false
    /// Keep the first K layers.
    public var first: Int?
    /// Keep these layers (indices from 0, increasing).
    public var layers: [Int]?

    public init() {}

    public func validate() throws {
        try ConfigError.require(!model.isEmpty, "model", "is missing", hint: "name a GGUF file, a model folder or a built-in model")
        try ConfigError.require(!out.isEmpty, "out", "is missing", hint: "name the checkpoint folder to write")
        let given = [everyOther, first != nil, layers != nil].filter { $0 }.count
        try ConfigError.require(given == 1, "every_other", "first and layers: give exactly one of them",
                                hint: "--every-other, --first K or --layers LIST")
    }

    /// The one selection given.
    public var selection: LayerSelection {
        if everyOther { return .everyOther }
        if let first { return .first(first) }
        return .list(layers ?? [])
    }
}

extension ModelTools {
    /// Writes the model with only the selected layers as a Hugging Face checkpoint in `out`, and the resolved config
    /// beside its files (`OUT/prune_config.json`, which `--config` runs again).
    @discardableResult
    public static func prune(_ c: PruneConfig) throws -> Pruning.Summary {
        try c.validate()
        let summary = try Pruning.prune(model: try OpenedModel(c.model), keep: c.selection, to: c.out)
        try ConfigResolver.write(c, to: c.out + "/prune_config.json")
        return summary
    }
}

// MARK: - inspect

/// What `mimic inspect` is configured by.
public struct InspectConfig: StageConfig, Hashable {
    public var model = ModelTools.defaultModel
    public var threads: Int?
    public var exact = false
    /// Also list every tensor (GGUF) and metadata key.
    public var all = false

    public init() {}

    public func validate() throws { try ConfigError.requireThreads(threads) }
}

extension ModelTools {
    /// What the model is, as lines of text: architecture, sizes, quantization, tokenizer and chat template.
    public static func describe(_ c: InspectConfig) throws -> [String] {
        try c.validate()
        var lines: [String] = []
        let start = Date()
        let opened = try open(c.model, threads: c.threads, exact: c.exact)
        let seconds = Date().timeIntervalSince(start)
        lines.append("model:        \(opened.path)")
        lines.append("loaded in:    \(String(format: "%.3f", seconds)) s")
        lines.append("architecture: \(opened.model.summary)")
        if let g = opened.gguf {
            let params = g.tensors.reduce(0) { $0 + $1.elementCount }
            let bytes = g.tensors.reduce(0) { $0 + $1.byteCount }
            var byType: [String: Int] = [:]
            for t in g.tensors { byType[t.type.description, default: 0] += 1 }
            lines.append("format:       GGUF v\(g.version), \(g.tensors.count) tensors, \(g.metadata.count) metadata keys")
            if let name = g.string("general.name") { lines.append("name:         \(name)") }
            lines.append(String(format: "parameters:   %.1f M, %.1f MB of weights (%.2f bits per weight)", Double(params) / 1e6,
                         Double(bytes) / 1e6, Double(bytes * 8) / Double(max(params, 1))))
            lines.append("quantization: " + byType.sorted { $0.value > $1.value }.map { "\($0.key) × \($0.value)" }.joined(separator: ", "))
            if c.all {
                for key in g.keys {
                    let value = g.metadata[key].map(Self.describe) ?? ""
                    lines.append("  \(key) = \(value)")
                }
                for t in g.tensors { lines.append("  \(t.name)  \(t.type)  \(t.dims)") }
            }
        } else {
            lines.append("format:       Hugging Face folder (safetensors)")
        }
        if let tok = opened.tokenizer {
            lines.append("tokenizer:    byte-level BPE, \(tok.vocabularySize) tokens, BOS \(tok.bosTokenID.map(String.init) ?? "none")"
                  + " (\(tok.addsBOS ? "added" : "not added")), EOS \(tok.eosTokenID.map(String.init) ?? "none")")
        } else {
            lines.append("tokenizer:    none")
        }
        if let source = opened.chatTemplateSource {
            let recognised = (try? ChatTemplate.recognize(jinja: source)).map(\.rawValue) ?? "unrecognised (use --template)"
            lines.append("template:     \(recognised)")
        } else {
            lines.append("template:     none in the model")
        }
        return lines
    }

    static func describe(_ v: GGUFValue) -> String {
        switch v {
        case .uint(let x): "\(x)"
        case .int(let x): "\(x)"
        case .float(let x): "\(x)"
        case .bool(let x): "\(x)"
        case .string(let s): s.count > 80 ? "\"\(s.prefix(80))…\"" : "\"\(s)\""
        case .array(let a): "[\(a.count) items: \(a.prefix(3).map(Self.describe).joined(separator: ", "))\(a.count > 3 ? ", …" : "")]"
        }
    }
}

// MARK: - chat

/// What `mimic chat` is configured by: the model, a system message, the template, the context, and the sampling.
public struct ChatConfig: StageConfig, SamplingKeys, Hashable {
    public var model = ModelTools.defaultModel
    public var threads: Int?
    public var exact = false
    /// A system message.
    public var system: String?
    /// Chat template: chatml, llama2, llama3 or vicuna (nil: the model's own).
    public var template: String?
    /// Context size in tokens (nil: the model's, at most 4096).
    public var ctx: Int?
    public var maxTokens = 256
    public var temperature = 0.0
    public var topK = 0
    public var topP = 1.0
    public var minP = 0.0
    public var repeatPenalty = 1.0
    public var repeatLastN = 64
    public var seed: UInt64 = 0
    public var stops: [String] = []

    public init() {}

    public func validate() throws {
        try ConfigError.requireThreads(threads)
        if let ctx { try ConfigError.require(ctx >= 2, "ctx", "must be at least 2 tokens") }
        try checkSampling()
    }
}

/// A conversation with a model that keeps its KV cache between turns, so each turn processes only its new tokens.
public final class ChatSession {
    public let modelPath: String
    private let config: ChatConfig
    private let format: ChatFormat
    private let tokenizer: any Tokenizer
    private let generator: TextGenerator
    private let cache: KVCache
    private var cachedTokens: [Int] = []
    private var messages: [ChatMessage]

    public init(_ c: ChatConfig) throws {
        try c.validate()
        let opened = try ModelTools.open(c.model, threads: c.threads, exact: c.exact)
        config = c
        modelPath = opened.path
        tokenizer = try opened.requireTokenizer()
        format = try opened.chatFormat(template: c.template)
        generator = TextGenerator(model: opened.model, tokenizer: tokenizer, extraStopTokens: format.template.stopStrings)
        cache = opened.model.makeCache(capacity: min(c.ctx ?? 4096, opened.model.contextLength))
        messages = c.system.map { [ChatMessage(role: "system", content: $0)] } ?? []
    }

    /// The model's answer to `text`, each piece given to `onPiece` as it is made. Throws `ModelError.contextOverflow`
    /// when the conversation no longer fits the context (the turn is then forgotten).
    public func reply(_ text: String, onPiece: (String) -> Bool = { _ in true }) throws -> String {
        messages.append(ChatMessage(role: "user", content: text))
        let prompt = format.prompt(messages)
        do {
            let result = try generator.generate(prompt: prompt, options: config.options(extraStops: format.template.stopStrings),
                                                addBOS: false, cache: cache, cachedTokens: cachedTokens, onText: onPiece)
            messages.append(ChatMessage(role: "assistant", content: result.text))
            cachedTokens = tokenizer.encode(prompt, addBOS: false, parseSpecial: true) + result.tokens
            return result.text
        } catch {
            messages.removeLast()
            throw error
        }
    }

    /// Forgets the conversation but its system message.
    public func reset() { messages = messages.filter { $0.role == "system" } }
}
