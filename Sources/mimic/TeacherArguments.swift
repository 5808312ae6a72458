// The teacher options of `mimic collect` and the stack they open: a local `mimic serve` or a remote endpoint,
// behind traffic control, the request cache and ledger, and the budget.
import ArgumentParser
import Foundation
import MimicModels
import MimicServer
import MimicTeacher

struct TeacherArguments: ParsableArguments {
    @Option(help: ArgumentHelp(
        "The teacher: local:MODEL (a built-in name, GGUF file or model folder served by Mimic on 127.0.0.1), "
            + "openai:MODEL[@BASE_URL], or MODEL with --base-url.",
        valueName: "spec"))
    var teacher = "local:smollm2-135m-instruct"
    @Option(help: "Base URL of an OpenAI-compatible API (default: $MIMIC_TEACHER_BASE_URL, $OPENAI_BASE_URL, or OpenAI's). The key comes from $MIMIC_TEACHER_API_KEY or $OPENAI_API_KEY.")
    var baseURL: String?
    @Option(help: "The request cache and ledger (default: teacher.sqlite in the cache folder).") var cache: String?
    @Option(help: "The ledger's run name (default: the output file's name).") var run: String?
    @Option(help: "Dollars this run may spend (earlier interrupted attempts of the run included); stops before going over.")
    var budget: Double?
    @Option(help: "A price file (JSON: model -> {input, output} dollars per 1M tokens) over the built-in table.")
    var prices: String?
    @Option(help: "Requests in flight at once.") var concurrency = 16
    @Option(help: "Requests per minute (default: no limit).") var rpm: Double?
    @Option(help: "Tokens per minute (default: no limit).") var tpm: Double?
    @Option(help: "Seconds for one answer before it is retried.") var timeout = 600.0
    @Option(help: "Attempts per request, the first included.") var maxAttempts = 6
    @Flag(help: "Use the OpenAI Batch API (half price, answers within 24 h): submit, poll, fold into the cache.")
    var batch = false
    @Option(help: "Seconds between Batch API status polls.") var batchPoll = 30.0

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
        if let budget, !(budget >= 0) { throw ValidationError("--budget must be 0 or more dollars") }
    }

    /// What `--teacher` names.
    enum Spec {
        case local(model: String)
        case remote(model: String, baseURL: String?)
    }

    func spec() throws -> Spec {
        if teacher.hasPrefix("local:") {
            let model = String(teacher.dropFirst("local:".count))
            guard !model.isEmpty else { throw ValidationError("--teacher local: needs a model, e.g. local:smollm2-135m-instruct") }
            return .local(model: model)
        }
        var rest = teacher.hasPrefix("openai:") ? String(teacher.dropFirst("openai:".count)) : teacher
        var url = baseURL
        if let at = rest.firstIndex(of: "@") {
            url = String(rest[rest.index(after: at)...])
            rest = String(rest[..<at])
        }
        guard !rest.isEmpty else { throw ValidationError("--teacher needs a model name, e.g. openai:gpt-4o-mini") }
        return .remote(model: rest, baseURL: url)
    }
}

/// An open teacher: the cached, budgeted `Teacher` and what must be closed after it.
final class TeacherStack: @unchecked Sendable {
    let teacher: CachedTeacher
    let store: RequestStore
    let client: OpenAIClient
    let throttled: ThrottledClient
    let server: LocalServer?
    let endpoint: TeacherEndpoint
    /// The cache key's endpoint: the base URL, or `local:MODEL` for a local teacher (its port changes every run).
    let keyEndpoint: String
    let model: String
    /// The teacher's context length when known (local models), for TLDR's fall-back.
    let contextLength: Int?
    /// Counts tokens as the teacher does when known (local models); nil: estimate.
    let tokenCount: (@Sendable (String) -> Int)?

    private init(teacher: CachedTeacher, store: RequestStore, client: OpenAIClient, throttled: ThrottledClient,
                 server: LocalServer?, endpoint: TeacherEndpoint, keyEndpoint: String, model: String,
                 contextLength: Int?, tokenCount: (@Sendable (String) -> Int)?) {
        self.teacher = teacher
        self.store = store
        self.client = client
        self.throttled = throttled
        self.server = server
        self.endpoint = endpoint
        self.keyEndpoint = keyEndpoint
        self.model = model
        self.contextLength = contextLength
        self.tokenCount = tokenCount
    }

    /// Opens the teacher `args` names for ledger run `run`: starts a local server when asked, opens the cache.
    static func open(_ args: TeacherArguments, run: String) async throws -> TeacherStack {
        let prices = try args.prices.map { try PriceTable.load(from: $0) } ?? .default
        let store = try RequestStore(path: args.cache ?? defaultTeacherCache())
        var server: LocalServer?
        let endpoint: TeacherEndpoint, keyEndpoint: String, model: String
        var contextLength: Int?, tokenCount: (@Sendable (String) -> Int)?
        switch try args.spec() {
        case .local(let name):
            let opened = try OpenedModel(name)
            guard let tokenizer = opened.tokenizer else {
                throw ValidationError("\(name): the local teacher needs a model with a tokenizer")
            }
            model = "local:" + name
            server = try await LocalServer.start(
                model: opened, configuration: ServerConfiguration(host: "127.0.0.1", port: 0, modelName: model,
                                                                  parallel: min(256, max(1, args.concurrency))))
            endpoint = server!.endpoint
            keyEndpoint = model
            contextLength = opened.model.contextLength
            tokenCount = { tokenizer.encode($0).count }
        case .remote(let name, let url):
            endpoint = TeacherEndpoint.fromEnvironment(baseURL: url)
            if endpoint.apiKey == nil && endpoint.baseURL.contains("api.openai.com") {
                throw ValidationError("no API key for \(endpoint.baseURL): set OPENAI_API_KEY (or MIMIC_TEACHER_API_KEY)")
            }
            keyEndpoint = endpoint.baseURL
            model = name
        }
        do {
            let client = try OpenAIClient(endpoint: endpoint, timeout: args.timeout, maxConnections: max(64, args.concurrency))
            let policy = TrafficPolicy(maxConcurrent: args.concurrency, requestsPerMinute: args.rpm,
                                       tokensPerMinute: args.tpm, maxAttempts: args.maxAttempts)
            let throttled = try ThrottledClient(wrapping: client, policy: policy)
            let teacher = try CachedTeacher(client: throttled, endpoint: keyEndpoint, model: model, store: store,
                                            prices: prices, run: run, budget: args.budget)
            return TeacherStack(teacher: teacher, store: store, client: client, throttled: throttled, server: server,
                                endpoint: endpoint, keyEndpoint: keyEndpoint, model: model,
                                contextLength: contextLength, tokenCount: tokenCount)
        } catch {
            await server?.stop()
            throw error
        }
    }

    /// Closes the HTTP client and stops a local server.
    func close() async {
        try? await client.shutdown()
        await server?.stop()
    }
}
