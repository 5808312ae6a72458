// The OpenAI Batch API for large collection jobs: write the requests not yet in the store as a JSONL file, upload
// it, create a batch, poll it, download its output and error files and fold every line into the same request
// store (at the batch discount). The batch id is stored before polling, so an interrupted run resumes that batch.
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One request for a batch: its cache key (the `custom_id`) and body.
public struct BatchItem: Sendable, Hashable {
    public var key: String
    public var request: ChatCompletionRequest

    public init(key: String, request: ChatCompletionRequest) {
        self.key = key
        self.request = request
    }

    /// The item for sample `sampleIndex` of `request`, keyed exactly as `CachedTeacher` with `endpoint` keys it.
    public static func chat(endpoint: String, request: ChatCompletionRequest, sampleIndex: Int) -> BatchItem {
        BatchItem(key: RequestKey.chat(endpoint: endpoint, request: request, sampleIndex: sampleIndex), request: request)
    }
}

/// What a batch run did.
public struct BatchSummary: Sendable, Hashable {
    /// Batches found unfinished in the store and polled again (no new upload).
    public var resumedBatchIDs: [String] = []
    /// Batches created by this run.
    public var createdBatchIDs: [String] = []
    /// Requests already answered in the store, not sent.
    public var alreadyStored = 0
    /// Requests uploaded in new batches.
    public var submitted = 0
    /// Answers folded into the store.
    public var answered = 0
    /// Requests that came back as errors (recorded as failures; a rerun sends them again).
    public var failed = 0
    /// Requests left out because their worst-case cost would pass the budget.
    public var skippedForBudget = 0
    /// Dollars billed for the folded answers.
    public var spentUSD: Double = 0
}

/// Progress of a batch run, for the caller to show.
public enum BatchProgress: Sendable, Hashable {
    case uploaded(fileID: String, requests: Int)
    case created(batchID: String)
    case resumed(batchID: String)
    case polled(batchID: String, status: String, completed: Int, failed: Int, total: Int)
    case folded(batchID: String, answered: Int, failed: Int)
}

/// A Batch API run against one OpenAI-compatible server, recording into a `RequestStore`.
public struct BatchJob: Sendable {
    /// Settings of a batch run.
    public struct Options: Sendable, Hashable {
        /// Time between status checks.
        public var pollInterval: Duration = .seconds(30)
        /// The fraction of the online price a batch answer costs (OpenAI: half).
        public var discount: Double = 0.5
        public var completionWindow = "24h"
        /// The `url` of each request line and the batch's `endpoint`.
        public var requestPath = "/v1/chat/completions"
        /// Requests per uploaded file (the API takes at most 50,000).
        public var maxRequestsPerBatch = 50_000
        /// Dollars the run may be billed in total (earlier attempts of the run included); nil for no limit.
        public var budget: Double?
        /// The completion length assumed for the budget when a request sets no `max_tokens`.
        public var defaultMaxTokens = 1024
        /// Consecutive failed status checks tolerated (retryable errors only) before giving up.
        public var maxPollErrors = 10
        /// Time limit of one HTTP call (uploads and downloads of large files take a while).
        public var requestTimeoutSeconds: Int64 = 600

        public init() {}
    }

    public let endpoint: TeacherEndpoint
    /// The endpoint string the request keys were made with (the `endpoint` column of stored answers).
    public let keyEndpoint: String
    public let model: String
    public let store: RequestStore
    public let prices: PriceTable
    public let run: String
    public let options: Options
    let http: HTTPClient
    let progress: @Sendable (BatchProgress) -> Void

    /// - Parameters:
    ///   - endpoint: the server (`{baseURL}/files`, `{baseURL}/batches`) and its key (sent as `Bearer`).
    ///   - keyEndpoint: as given to `CachedTeacher` (usually `endpoint.baseURL`), recorded with each answer.
    ///   - httpClient: the client to use; `HTTPClient.shared` needs no shutdown.
    public init(endpoint: TeacherEndpoint, keyEndpoint: String? = nil, model: String, store: RequestStore,
                prices: PriceTable = .default, run: String, options: Options = Options(),
                httpClient: HTTPClient = .shared, progress: @escaping @Sendable (BatchProgress) -> Void = { _ in }) {
        self.endpoint = endpoint
        self.keyEndpoint = keyEndpoint ?? endpoint.baseURL
        self.model = model
        self.store = store
        self.prices = prices
        self.run = run
        self.options = options
        self.http = httpClient
        self.progress = progress
    }

    /// Finishes any batch of this run left unfinished in the store, then sends the items the store has no answer
    /// for (in batches of `maxRequestsPerBatch`), waits for them and folds their results in. Items of a resumed
    /// batch that failed there are not sent again in the same call (a rerun does).
    public func run(_ items: [BatchItem]) async throws -> BatchSummary {
        var summary = BatchSummary()
        var requests: [String: ChatCompletionRequest] = [:]
        for item in items where requests[item.key] == nil { requests[item.key] = item.request }
        var covered = Set<String>()
        for pending in try store.batches(run: run, pendingOnly: true) {
            progress(.resumed(batchID: pending.id))
            summary.resumedBatchIDs.append(pending.id)
            try await finish(pending, requests: requests, summary: &summary)
            covered.formUnion(pending.keys)
        }
        let answered = try store.answeredKeys(among: Array(requests.keys))
        var seen = Set<String>()
        var missing: [BatchItem] = []
        for item in items where seen.insert(item.key).inserted {
            if answered.contains(item.key) {
                summary.alreadyStored += 1
            } else if !covered.contains(item.key) {
                missing.append(item)
            }
        }
        var start = 0
        while start < missing.count {
            let chunk = Array(missing[start..<min(start + max(1, options.maxRequestsPerBatch), missing.count)])
            start += chunk.count
            let affordable = try affordablePrefix(chunk)
            if affordable < chunk.count { summary.skippedForBudget += missing.count - (start - chunk.count) - affordable }
            guard affordable > 0 else { break }
            let batch = try await submit(Array(chunk.prefix(affordable)))
            summary.createdBatchIDs.append(batch.id)
            summary.submitted += affordable
            try await finish(batch, requests: requests, summary: &summary)
            if affordable < chunk.count { break }
        }
        return summary
    }

    /// How many leading items fit in the budget at their worst-case (discounted) cost; throws when none does.
    func affordablePrefix(_ items: [BatchItem]) throws -> Int {
        guard let budget = options.budget else { return items.count }
        let spent = try store.spent(run: run)
        var total = spent
        for (index, item) in items.enumerated() {
            let completion = (item.request.maxTokens ?? options.defaultMaxTokens) * max(1, item.request.n ?? 1)
            total += prices.cost(model: item.request.model, promptTokens: CachedTeacher.estimateTokens(item.request.messages),
                                 completionTokens: completion, discount: options.discount)
            if total > budget {
                if index == 0 { throw TeacherError.budgetExhausted(spent: spent, budget: budget) }
                return index
            }
        }
        return items.count
    }

    // MARK: Submitting

    /// The batch input file: one `{"custom_id", "method", "url", "body"}` line per item.
    public func inputFile(_ items: [BatchItem]) throws -> Data {
        struct Line: Encodable {
            var custom_id: String
            var method = "POST"
            var url: String
            var body: ChatCompletionRequest
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for item in items {
            var body = item.request
            body.stream = nil
            body.streamOptions = nil
            data.append(try encoder.encode(Line(custom_id: item.key, url: options.requestPath, body: body)))
            data.append(UInt8(ascii: "\n"))
        }
        return data
    }

    func submit(_ items: [BatchItem]) async throws -> BatchRecord {
        let boundary = "mimic-\(UUID().uuidString)"
        var body = Data()
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n".utf8))
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"mimic-batch.jsonl\"\r\n".utf8))
        body.append(Data("Content-Type: application/jsonl\r\n\r\n".utf8))
        body.append(try inputFile(items))
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        let file = try await call(.POST, "/files", body: body, contentType: "multipart/form-data; boundary=\(boundary)",
                                  as: FileObject.self)
        progress(.uploaded(fileID: file.id, requests: items.count))
        let create = CreateBatch(input_file_id: file.id, endpoint: options.requestPath,
                                 completion_window: options.completionWindow, metadata: ["mimic_run": run])
        let batch = try await call(.POST, "/batches", body: try JSONEncoder().encode(create),
                                   contentType: "application/json", as: BatchObject.self)
        let record = BatchRecord(id: batch.id, run: run, model: model, endpoint: endpoint.baseURL, inputFileID: file.id,
                                 status: batch.status, keys: items.map(\.key), folded: false, createdAt: Date())
        try store.recordBatch(record)
        progress(.created(batchID: batch.id))
        return record
    }

    // MARK: Polling and folding

    func finish(_ batch: BatchRecord, requests: [String: ChatCompletionRequest], summary: inout BatchSummary) async throws {
        let done = try await poll(batch.id)
        var answered = Set<String>(), errored = Set<String>()
        for fileID in [done.output_file_id, done.error_file_id].compactMap({ $0 }) {
            summary.spentUSD += try await fold(fileID: fileID, batch: batch, requests: requests,
                                               answered: &answered, errored: &errored)
        }
        var reason = "batch \(batch.id) ended \(done.status) without answering this request"
        if let errors = done.errors?.data, !errors.isEmpty {
            reason += ": " + errors.prefix(3).map { $0.message ?? $0.code ?? "error" }.joined(separator: "; ")
        }
        for key in batch.keys where !answered.contains(key) && !errored.contains(key) {
            try store.recordFailure(key: key, run: run, reason: endpoint.redact(reason))
        }
        let missing = batch.keys.count - (try store.answeredKeys(among: batch.keys)).count
        summary.answered += batch.keys.count - missing
        summary.failed += missing
        try store.updateBatch(id: batch.id, status: done.status, folded: true)
        progress(.folded(batchID: batch.id, answered: batch.keys.count - missing, failed: missing))
    }

    func poll(_ id: String) async throws -> BatchObject {
        var errors = 0
        while true {
            do {
                let batch = try await call(.GET, "/batches/\(id)", as: BatchObject.self)
                errors = 0
                let counts = batch.request_counts
                progress(.polled(batchID: id, status: batch.status, completed: counts?.completed ?? 0,
                                 failed: counts?.failed ?? 0, total: counts?.total ?? 0))
                if ["completed", "failed", "expired", "cancelled"].contains(batch.status) { return batch }
                try store.updateBatch(id: id, status: batch.status)
            } catch let error as TeacherError where error.isRetryable && errors + 1 < options.maxPollErrors {
                errors += 1
            }
            try await Task.sleep(for: options.pollInterval)
        }
    }

    /// Streams a result file and folds each line into the store, 500 lines per transaction.
    func fold(fileID: String, batch: BatchRecord, requests: [String: ChatCompletionRequest],
              answered: inout Set<String>, errored: inout Set<String>) async throws -> Double {
        let response = try await open(.GET, "/files/\(fileID)/content")
        var pending = Data()
        var group = FoldGroup()
        var spent = 0.0
        func flush() throws {
            spent += try store.fold(group, run: run)
            answered.formUnion(group.answers.map(\.key))
            errored.formUnion(group.failures.map(\.key))
            group = FoldGroup()
        }
        for try await buffer in response.body {
            pending.append(contentsOf: buffer.readableBytesView)
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex..<newline]
                pending = Data(pending[(newline + 1)...])
                try add(line, batch: batch, requests: requests, to: &group)
                if group.count >= 500 { try flush() }
            }
        }
        try add(pending, batch: batch, requests: requests, to: &group)
        try flush()
        return spent
    }

    func add(_ line: Data, batch: BatchRecord, requests: [String: ChatCompletionRequest], to group: inout FoldGroup) throws {
        guard line.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) else { return }
        let parsed: OutputLine
        do {
            parsed = try JSONDecoder().decode(OutputLine.self, from: line)
        } catch {
            throw TeacherError.malformedResponse("batch \(batch.id) result line is not JSON: \(error)")
        }
        let key = parsed.custom_id
        if let answer = parsed.response?.answer, parsed.response?.status_code == 200 {
            let request = requests[key]
            let model = request?.model ?? batch.model
            let usage = answer.usage
            let cost = prices.cost(model: model, promptTokens: usage?.promptTokens ?? 0,
                                   completionTokens: usage?.completionTokens ?? 0, discount: options.discount)
            group.answers.append(StoredResponse(
                key: key, endpoint: keyEndpoint, model: model, run: run, kind: .chat, source: .batch,
                requestJSON: try request.map(storeJSON) ?? "null", responseJSON: try storeJSON(answer),
                promptTokens: usage?.promptTokens ?? 0, completionTokens: usage?.completionTokens ?? 0, costUSD: cost))
        } else {
            let status = parsed.response.map { "HTTP \($0.status_code)" } ?? "error"
            let message = parsed.response?.error?.error.message ?? parsed.error?.message ?? parsed.error?.code ?? "no answer"
            group.failures.append((key, endpoint.redact("batch \(batch.id): \(status): \(message)")))
        }
    }

    // MARK: HTTP

    func call<T: Decodable>(_ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String? = nil,
                            as type: T.Type) async throws -> T {
        let response = try await open(method, path, body: body, contentType: contentType)
        let bytes: ByteBuffer
        do {
            bytes = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw TeacherError.transport(endpoint.redact("reading \(path): \(error)"))
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes.readableBytesView))
        } catch {
            let text = String(decoding: bytes.readableBytesView.prefix(300), as: UTF8.self)
            throw TeacherError.malformedResponse(endpoint.redact("\(method) \(path): \(error) in \(text)"))
        }
    }

    /// Sends a request and checks its status; the body is left to stream.
    func open(_ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String? = nil) async throws
        -> HTTPClientResponse {
        var request = HTTPClientRequest(url: endpoint.url(path))
        request.method = method
        if let key = endpoint.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(options.requestTimeoutSeconds))
        } catch {
            if error is CancellationError || Task.isCancelled { throw CancellationError() }
            throw TeacherError.transport(endpoint.redact("\(method) \(endpoint.url(path)): \(error)"))
        }
        guard (200..<300).contains(response.status.code) else {
            let bytes = (try? await response.body.collect(upTo: 1 << 20)).map { Data($0.readableBytesView) } ?? Data()
            let message = (try? JSONDecoder().decode(APIErrorBody.self, from: bytes))?.error.message
                ?? String(decoding: bytes.prefix(300), as: UTF8.self)
            let retryAfter = response.headers.first(name: "Retry-After").flatMap(Double.init)
            throw TeacherError.http(status: Int(response.status.code),
                                    message: endpoint.redact("\(method) \(path): \(message)"), retryAfter: retryAfter)
        }
        return response
    }
}

/// Answers and failures folded in one transaction.
struct FoldGroup {
    var answers: [StoredResponse] = []
    var failures: [(key: String, reason: String)] = []
    var count: Int { answers.count + failures.count }
}

extension RequestStore {
    /// Inserts a group of batch results in one transaction; returns the cost of the newly inserted answers.
    func fold(_ group: FoldGroup, run: String) throws -> Double {
        try writer.write { db in
            var spent = 0.0
            for answer in group.answers {
                if try Self.insert(answer, db: db) { spent += answer.costUSD }
            }
            for failure in group.failures {
                try Self.upsertFailure(key: failure.key, run: run, reason: failure.reason, at: Date(), db: db)
            }
            return spent
        }
    }
}

// MARK: Wire objects of the Files and Batches endpoints

struct FileObject: Decodable { var id: String }

struct CreateBatch: Encodable {
    var input_file_id: String
    var endpoint: String
    var completion_window: String
    var metadata: [String: String]
}

struct BatchObject: Decodable {
    struct Counts: Decodable { var total: Int?; var completed: Int?; var failed: Int? }
    struct Errors: Decodable {
        struct Item: Decodable { var code: String?; var message: String? }
        var data: [Item]?
    }
    var id: String
    var status: String
    var output_file_id: String?
    var error_file_id: String?
    var request_counts: Counts?
    var errors: Errors?
}

/// One line of a batch output or error file.
struct OutputLine: Decodable {
    struct Response: Decodable {
        var status_code: Int
        var answer: ChatCompletionResponse?
        var error: APIErrorBody?

        enum CodingKeys: String, CodingKey { case status_code, body }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            status_code = try c.decode(Int.self, forKey: .status_code)
            answer = try? c.decode(ChatCompletionResponse.self, forKey: .body)
            error = try? c.decode(APIErrorBody.self, forKey: .body)
        }
    }
    struct LineError: Decodable { var code: String?; var message: String? }
    var custom_id: String
    var response: Response?
    var error: LineError?
}
