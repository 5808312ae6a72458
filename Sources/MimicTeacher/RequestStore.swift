// The request cache and cost ledger: one SQLite database (WAL) holding every teacher answer by request key with
// its token counts and cost, the latest failure per key, and the Batch API jobs in flight. Each answer is its own
// transaction, inserted once by key, so a killed run loses nothing already answered and a rerun bills nothing twice.
import Foundation
import GRDB

/// Where an answer came from.
public enum ResponseSource: String, Sendable, Hashable, Codable {
    case online, batch
}

/// Which endpoint a stored request went to: a model's chat or completions, or a toxicity API (Perspective's
/// `comments:analyze`, no tokens, free).
public enum RequestKind: String, Sendable, Hashable, Codable {
    case chat, completion, toxicity
}

/// One answered request as the store holds it.
public struct StoredResponse: Sendable, Hashable {
    public var key: String
    public var endpoint: String
    public var model: String
    public var run: String
    public var kind: RequestKind
    public var source: ResponseSource
    /// The request as sent, JSON.
    public var requestJSON: String
    /// The answer as received, JSON.
    public var responseJSON: String
    public var promptTokens: Int
    public var completionTokens: Int
    public var costUSD: Double
    public var createdAt: Date

    public init(key: String, endpoint: String, model: String, run: String, kind: RequestKind, source: ResponseSource,
                requestJSON: String, responseJSON: String, promptTokens: Int, completionTokens: Int, costUSD: Double,
                createdAt: Date = Date()) {
        self.key = key
        self.endpoint = endpoint
        self.model = model
        self.run = run
        self.kind = kind
        self.source = source
        self.requestJSON = requestJSON
        self.responseJSON = responseJSON
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.costUSD = costUSD
        self.createdAt = createdAt
    }

    /// A chat answer ready to store: tokens from `response.usage` (zero when the server sent none).
    public static func chat(key: String, endpoint: String, run: String, request: ChatCompletionRequest,
                            response: ChatCompletionResponse, costUSD: Double, source: ResponseSource = .online,
                            createdAt: Date = Date()) throws -> StoredResponse {
        StoredResponse(key: key, endpoint: endpoint, model: request.model, run: run, kind: .chat, source: source,
                       requestJSON: try storeJSON(request), responseJSON: try storeJSON(response),
                       promptTokens: response.usage?.promptTokens ?? 0,
                       completionTokens: response.usage?.completionTokens ?? 0, costUSD: costUSD, createdAt: createdAt)
    }

    /// A completions answer ready to store.
    public static func completion(key: String, endpoint: String, run: String, request: CompletionRequest,
                                  response: CompletionResponse, costUSD: Double, source: ResponseSource = .online,
                                  createdAt: Date = Date()) throws -> StoredResponse {
        StoredResponse(key: key, endpoint: endpoint, model: request.model, run: run, kind: .completion, source: source,
                       requestJSON: try storeJSON(request), responseJSON: try storeJSON(response),
                       promptTokens: response.usage?.promptTokens ?? 0,
                       completionTokens: response.usage?.completionTokens ?? 0, costUSD: costUSD, createdAt: createdAt)
    }

    /// A toxicity API's answer ready to store: `request` is the body sent (it must not hold the API key),
    /// `responseJSON` the answer as received; no tokens, and free unless `costUSD` says otherwise.
    public static func toxicity<Request: Encodable>(key: String, endpoint: String, model: String, run: String,
                                                    request: Request, responseJSON: String, costUSD: Double = 0,
                                                    createdAt: Date = Date()) throws -> StoredResponse {
        StoredResponse(key: key, endpoint: endpoint, model: model, run: run, kind: .toxicity, source: .online,
                       requestJSON: try storeJSON(request), responseJSON: responseJSON, promptTokens: 0,
                       completionTokens: 0, costUSD: costUSD, createdAt: createdAt)
    }

    /// The stored chat answer, decoded.
    public func chatResponse() throws -> ChatCompletionResponse {
        try response(as: ChatCompletionResponse.self)
    }

    /// The stored completions answer, decoded.
    public func completionResponse() throws -> CompletionResponse {
        try response(as: CompletionResponse.self)
    }

    /// The stored answer decoded as `T`; throws `RequestStoreError.corruptRow` when it is not one.
    public func response<T: Decodable>(as type: T.Type) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(responseJSON.utf8))
        } catch {
            throw RequestStoreError.corruptRow(key: key, reason: "stored \(kind.rawValue) answer does not decode: \(error)")
        }
    }
}

/// The latest failure of a request that has no answer yet.
public struct FailureRecord: Sendable, Hashable {
    public var key: String
    public var run: String
    public var reason: String
    /// How many times the request has failed (over all runs and reruns).
    public var attempts: Int
    public var at: Date
}

/// A Batch API job this store is waiting on or has folded in.
public struct BatchRecord: Sendable, Hashable {
    public var id: String
    public var run: String
    public var model: String
    public var endpoint: String
    public var inputFileID: String
    /// The last status the API reported (`validating`, `in_progress`, `completed`, …).
    public var status: String
    /// The request keys (`custom_id`s) the batch holds.
    public var keys: [String]
    /// Whether its results have been folded into the store (then it is never polled again).
    public var folded: Bool
    public var createdAt: Date
}

/// A store could not be opened or holds something unexpected.
public enum RequestStoreError: Error, LocalizedError, Sendable, Hashable {
    case cannotOpen(path: String, reason: String)
    case corruptRow(key: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .cannotOpen(let path, let reason):
            return "cannot open the request cache \(path): \(reason) (check the folder exists and is writable, or pass another path)"
        case .corruptRow(let key, let reason):
            return "request cache row \(key): \(reason)"
        }
    }
}

func storeJSON<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// The request cache and cost ledger over one SQLite database. Safe to share between tasks and processes.
public final class RequestStore: Sendable {
    let writer: any DatabaseWriter
    /// The database file, or `:memory:`.
    public let path: String

    /// Where `mimic` keeps the cache when no path is given: `~/.cache/mimic/teacher.sqlite`
    /// (`$XDG_CACHE_HOME/mimic/teacher.sqlite` when that is set).
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (NSHomeDirectory() as NSString).appendingPathComponent(".cache")
        return ((base as NSString).appendingPathComponent("mimic") as NSString).appendingPathComponent("teacher.sqlite")
    }

    /// Opens (creating if needed, with its folder) the database at `path` in WAL mode; `:memory:` gives a private
    /// in-memory store (for tests).
    public init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(30)
        // WAL with synchronous=NORMAL: a commit survives the process being killed (kill -9) at any point; only
        // a power loss can drop the last commits, never corrupt the file. One fsync per answer would cap
        // collection at a few hundred answers per second.
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        do {
            if path == ":memory:" {
                writer = try DatabaseQueue(configuration: config)
            } else {
                let folder = (path as NSString).deletingLastPathComponent
                if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
                writer = try DatabasePool(path: path, configuration: config)
            }
            try Self.migrator.migrate(writer)
        } catch {
            throw RequestStoreError.cannotOpen(path: path, reason: "\(error)")
        }
    }

    /// A private in-memory store.
    public static func inMemory() throws -> RequestStore { try RequestStore(path: ":memory:") }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE responses (
                    key TEXT PRIMARY KEY NOT NULL, endpoint TEXT NOT NULL, model TEXT NOT NULL, run TEXT NOT NULL,
                    kind TEXT NOT NULL, request TEXT NOT NULL, response TEXT NOT NULL,
                    prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL,
                    created_at DATETIME NOT NULL, source TEXT NOT NULL);
                CREATE INDEX responses_run ON responses(run);
                CREATE TABLE failures (
                    key TEXT PRIMARY KEY NOT NULL, run TEXT NOT NULL, reason TEXT NOT NULL,
                    attempts INTEGER NOT NULL, at DATETIME NOT NULL);
                CREATE TABLE batches (
                    id TEXT PRIMARY KEY NOT NULL, run TEXT NOT NULL, model TEXT NOT NULL, endpoint TEXT NOT NULL,
                    input_file_id TEXT NOT NULL, status TEXT NOT NULL, keys TEXT NOT NULL,
                    folded INTEGER NOT NULL DEFAULT 0, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL);
                """)
        }
        return migrator
    }

    // MARK: Answers

    /// The stored answer of `key`, if any.
    public func lookup(_ key: String) throws -> StoredResponse? {
        try writer.read { try Self.fetchResponse(key, db: $0) }
    }

    /// The stored answer of `key`, if any (without blocking the calling thread).
    public func lookupAsync(_ key: String) async throws -> StoredResponse? {
        try await writer.read { try Self.fetchResponse(key, db: $0) }
    }

    /// The stored chat answer of `key`, decoded, if any.
    public func chatResponse(for key: String) throws -> ChatCompletionResponse? {
        try lookup(key)?.chatResponse()
    }

    /// Which of `keys` have a stored answer.
    public func answeredKeys(among keys: [String]) throws -> Set<String> {
        try writer.read { db in
            var found = Set<String>()
            for chunk in stride(from: 0, to: keys.count, by: 500) {
                let part = Array(keys[chunk..<min(chunk + 500, keys.count)])
                let marks = Array(repeating: "?", count: part.count).joined(separator: ",")
                found.formUnion(try String.fetchAll(db, sql: "SELECT key FROM responses WHERE key IN (\(marks))",
                                                    arguments: StatementArguments(part)))
            }
            return found
        }
    }

    /// Stores an answer unless its key already has one. Returns whether it was inserted (false: a duplicate, not
    /// billed again). An inserted answer clears the key's recorded failure. One transaction, durable on return.
    @discardableResult
    public func record(_ response: StoredResponse) throws -> Bool {
        try writer.write { try Self.insert(response, db: $0) }
    }

    /// `record(_:)` without blocking the calling thread.
    @discardableResult
    public func recordAsync(_ response: StoredResponse) async throws -> Bool {
        try await writer.write { try Self.insert(response, db: $0) }
    }

    /// Stores many answers in one transaction (each inserted once); returns how many were new.
    @discardableResult
    public func record(all responses: [StoredResponse]) throws -> Int {
        try writer.write { db in try responses.reduce(0) { $0 + (try Self.insert($1, db: db) ? 1 : 0) } }
    }

    static func insert(_ r: StoredResponse, db: Database) throws -> Bool {
        try db.execute(sql: """
            INSERT OR IGNORE INTO responses (key, endpoint, model, run, kind, request, response, prompt_tokens,
                completion_tokens, cost_usd, created_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [r.key, r.endpoint, r.model, r.run, r.kind.rawValue, r.requestJSON, r.responseJSON,
                             r.promptTokens, r.completionTokens, r.costUSD, r.createdAt, r.source.rawValue])
        guard db.changesCount > 0 else { return false }
        try db.execute(sql: "DELETE FROM failures WHERE key = ?", arguments: [r.key])
        return true
    }

    static func fetchResponse(_ key: String, db: Database) throws -> StoredResponse? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM responses WHERE key = ?", arguments: [key]) else {
            return nil
        }
        return try storedResponse(row)
    }

    static func storedResponse(_ row: Row) throws -> StoredResponse {
        let key: String = row["key"]
        guard let kind = RequestKind(rawValue: row["kind"]), let source = ResponseSource(rawValue: row["source"]) else {
            throw RequestStoreError.corruptRow(key: key, reason: "unknown kind or source")
        }
        return StoredResponse(key: key, endpoint: row["endpoint"], model: row["model"], run: row["run"], kind: kind,
                              source: source, requestJSON: row["request"], responseJSON: row["response"],
                              promptTokens: row["prompt_tokens"], completionTokens: row["completion_tokens"],
                              costUSD: row["cost_usd"], createdAt: row["created_at"])
    }

    /// Every stored answer of `run` (all runs when nil), oldest first.
    public func responses(run: String? = nil) throws -> [StoredResponse] {
        try writer.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM responses WHERE (?1 IS NULL OR run = ?1) ORDER BY created_at, key",
                                        arguments: [run])
            return try rows.map(Self.storedResponse)
        }
    }

    // MARK: Failures

    /// Records that `key` failed (its latest reason; attempts count up). Ignored when the key already has an answer.
    public func recordFailure(key: String, run: String, reason: String, at: Date = Date()) throws {
        try writer.write { try Self.upsertFailure(key: key, run: run, reason: reason, at: at, db: $0) }
    }

    /// `recordFailure` without blocking the calling thread.
    public func recordFailureAsync(key: String, run: String, reason: String, at: Date = Date()) async throws {
        try await writer.write { try Self.upsertFailure(key: key, run: run, reason: reason, at: at, db: $0) }
    }

    static func upsertFailure(key: String, run: String, reason: String, at: Date, db: Database) throws {
        try db.execute(sql: """
            INSERT INTO failures (key, run, reason, attempts, at)
                SELECT ?1, ?2, ?3, 1, ?4 WHERE NOT EXISTS (SELECT 1 FROM responses WHERE key = ?1)
            ON CONFLICT(key) DO UPDATE SET run = excluded.run, reason = excluded.reason,
                attempts = failures.attempts + 1, at = excluded.at
            """, arguments: [key, run, reason, at])
    }

    /// The requests of `run` (all runs when nil) whose latest attempt failed and that have no answer, oldest first.
    public func failures(run: String? = nil) throws -> [FailureRecord] {
        try writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM failures WHERE (?1 IS NULL OR run = ?1)
                    AND NOT EXISTS (SELECT 1 FROM responses WHERE responses.key = failures.key) ORDER BY at, key
                """, arguments: [run]).map {
                FailureRecord(key: $0["key"], run: $0["run"], reason: $0["reason"], attempts: $0["attempts"], at: $0["at"])
            }
        }
    }

    // MARK: Batches

    /// Remembers a submitted batch (before polling it), so an interrupted run resumes it instead of uploading again.
    public func recordBatch(_ batch: BatchRecord) throws {
        let keys = try storeJSON(batch.keys)
        try writer.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO batches (id, run, model, endpoint, input_file_id, status, keys, folded,
                    created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [batch.id, batch.run, batch.model, batch.endpoint, batch.inputFileID, batch.status, keys,
                                 batch.folded, batch.createdAt, Date()])
        }
    }

    /// Updates a batch's last known status and whether it has been folded in.
    public func updateBatch(id: String, status: String, folded: Bool = false) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE batches SET status = ?, folded = ?, updated_at = ? WHERE id = ?",
                           arguments: [status, folded, Date(), id])
        }
    }

    /// The batches of `run` (all runs when nil); only those not yet folded in when `pendingOnly`.
    public func batches(run: String? = nil, pendingOnly: Bool = false) throws -> [BatchRecord] {
        try writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM batches WHERE (?1 IS NULL OR run = ?1) AND (?2 = 0 OR folded = 0) ORDER BY created_at, id
                """, arguments: [run, pendingOnly]).map { row in
                let id: String = row["id"]
                let keysJSON: String = row["keys"]
                guard let keys = try? JSONDecoder().decode([String].self, from: Data(keysJSON.utf8)) else {
                    throw RequestStoreError.corruptRow(key: id, reason: "batch key list does not decode")
                }
                return BatchRecord(id: id, run: row["run"], model: row["model"], endpoint: row["endpoint"],
                                   inputFileID: row["input_file_id"], status: row["status"], keys: keys,
                                   folded: row["folded"], createdAt: row["created_at"])
            }
        }
    }
}
