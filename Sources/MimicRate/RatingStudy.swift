// Making and opening a rating study: systems' answers matched to the baseline's as `mimic judge` matches them, an
// optional seeded sample of prompts, attention checks (an answer against a broken copy of itself), the instructions,
// and a study folder whose study.json says where the votes live (a SQLite file beside it, or a PostgreSQL schema).
import Foundation
import MimicCore
import MimicData

/// What `mimic rate create` is configured by.
public struct RatingCreateConfig: StageConfig, Hashable {
    /// The systems rated (conversation JSONL of their answers), each against `b`.
    public var a: [String] = []
    /// The baseline's answers (the teacher's).
    public var b = ""
    /// The study folder to make.
    public var out = ""
    /// The SQLite file (default OUT/ratings.sqlite).
    public var db: String?
    /// A PostgreSQL server URL (`postgres://USER@HOST[:PORT]/DATABASE`) to keep the votes in instead.
    public var postgres: String?
    /// A plain-text file of instructions (default: five criteria, in Mimic's words).
    public var instructions: String?
    /// Ratings per item.
    public var ratersPerItem = 3
    /// Rate this many of the matched prompts, drawn with the seed (default all).
    public var items: Int?
    /// Attention checks, as a share of the items (0 for none).
    public var attention = 0.1
    /// At most this many real items per rater.
    public var itemsPerRater: Int?
    /// An assignment returns to the pool after this many seconds without a vote.
    public var timeout = 900.0
    /// Raters with a median below this many seconds per item are flagged.
    public var fastSeconds = 4.0
    /// The completion code shown at the end (default: random).
    public var completionCode: String?
    /// Let `/p?PROLIFIC_PID=…` make raters.
    public var prolific = false
    public var seed: UInt64 = 0

    public init() {}

    public func validate() throws {
        try ConfigError.require(!a.isEmpty, "a", "names no answers file", hint: "--a FILE (repeat for more systems)")
        for (i, path) in a.enumerated() { try ConfigError.requireFile(path, "a[\(i)]") }
        try ConfigError.requireFile(b, "b")
        try ConfigError.require(!out.isEmpty, "out", "is empty", hint: "--out STUDY (a folder to make)")
        try ConfigError.require(!FileManager.default.fileExists(atPath: out + "/study.json"), "out",
                                "\(out) holds a rating study already", hint: "choose another folder")
        if let instructions { try ConfigError.requireFile(instructions, "instructions", what: "a text file") }
        try ConfigError.require((1...50).contains(ratersPerItem), "raters_per_item", "is \(ratersPerItem)", hint: "1 to 50")
        try ConfigError.require(items.map { $0 >= 1 } ?? true, "items", "is \(items ?? 0)", hint: "1 or more")
        try ConfigError.require(attention >= 0 && attention <= 0.5, "attention", "is \(attention)", hint: "a share from 0 to 0.5")
        try ConfigError.require(itemsPerRater.map { $0 >= 1 } ?? true, "items_per_rater", "is \(itemsPerRater ?? 0)", hint: "1 or more")
        try ConfigError.require(timeout >= 10, "timeout", "is \(timeout) s", hint: "10 seconds or more")
        try ConfigError.require(fastSeconds >= 0, "fast_seconds", "is \(fastSeconds)", hint: "0 or more")
        if let code = completionCode {
            try ConfigError.require(!code.isEmpty && code.count <= 64 && code.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" },
                                    "completion_code", "'\(code)' is not 1 to 64 letters, digits, - or _")
        }
        if let postgres { _ = try PostgresLocation(url: postgres, schema: RatingStudy.schemaName(out)) }
    }

    enum CodingKeys: String, CodingKey {
        case a, b, out, db, postgres, instructions, items, attention, timeout, prolific, seed
        case ratersPerItem = "raters_per_item", itemsPerRater = "items_per_rater", fastSeconds = "fast_seconds"
        case completionCode = "completion_code"
    }
}

/// Where a study's votes are: what study.json holds.
public struct RatingStudyFile: Codable, Sendable, Hashable {
    /// The SQLite file, relative to the study folder or absolute.
    public var sqlite: String?
    /// The PostgreSQL server (without its password: give it as PGPASSWORD when the URL had one) and schema.
    public var postgres: String?
    public var schema: String?
    /// The systems, the items and the attention checks made.
    public var systems: [String]
    public var items: Int
    public var checks: Int
    public var created: String
}

/// A study just made: where it is and its admin token (shown once).
public struct RatingCreated: Sendable {
    public var folder: String
    public var adminToken: String
    public var items: Int
    public var checks: Int
    public var store: String
    /// Why some prompts were not made into items (unmatched, duplicates), a line each.
    public var notes: [String]
}

/// Making and opening studies.
public enum RatingStudy {
    /// The instructions shown when the study names none: the paper's five criteria, in Mimic's words.
    public static let defaultInstructions = """
        You will see a request someone wrote, and two answers to it: Output 1 and Output 2. They come from two \
        different systems, shown in a random order. Decide which answer is better overall, or whether they are of \
        the same quality.

        Judge the answers on:
        1. Correct language: free of grammar and spelling mistakes.
        2. Clarity: easy to follow, with ideas in a sensible order.
        3. Relevance: it answers what was asked, and what it says is accurate.
        4. Completeness: it answers the whole request, in enough depth.
        5. Overall quality: taking everything together, which you would rather receive.

        Check facts where you can: an answer that sounds confident can still be wrong. Press 1 if Output 1 is better, \
        2 if Output 2 is better, 3 if they are of the same quality. Some items check attention: one answer in them is \
        visibly cut short or scrambled.
        """

    /// The PostgreSQL schema of the study in folder `out`: `mimic_rate_` and the folder's name, lowercased, other
    /// characters as `_`.
    public static func schemaName(_ out: String) -> String {
        let name = URL(fileURLWithPath: out).lastPathComponent.lowercased().map { c -> Character in
            c.isASCII && (c.isLetter || c.isNumber) ? c : "_"
        }
        return "mimic_rate_" + String(name.prefix(36))
    }

    /// The items of a study: each system's answers matched against the baseline's, sampled, with attention checks.
    static func items(_ config: RatingCreateConfig) throws -> (items: [RatingItem], notes: [String]) {
        let baseline = try AnswerFile.read(config.b, name: config.b)
        var pairs: [(system: String, pair: AnswerPair)] = []
        var notes: [String] = []
        for path in config.a {
            let matching = AnswerMatcher.match(baseline: baseline, candidate: try AnswerFile.read(path, name: path))
            try matching.requireMatches()
            if matching.report.matched < matching.report.baselineItems {
                notes.append("\(path): \(matching.report.matched) of \(matching.report.baselineItems) baseline items matched")
            }
            pairs += matching.pairs.map { (path, $0) }
        }
        var rng = SplitMix64(seed: config.seed, stream: 0x7261_7465)
        if let n = config.items, n < pairs.count {
            pairs = rng.sampleIndices(pairs.count, count: n).sorted().map { pairs[$0] }
        }
        var items = pairs.enumerated().map { k, p in
            RatingItem(number: k + 1, id: p.pair.baseline.id ?? String(SHA256.hex(Data((p.pair.baseline.prompt ?? "").utf8)).prefix(16)),
                       prompt: p.pair.baseline.prompt ?? "", answerA: p.pair.candidateAnswer, answerB: p.pair.baselineAnswer,
                       systemA: p.system, systemB: config.b)
        }
        let checks = config.attention > 0 ? max(1, Int((config.attention * Double(items.count)).rounded())) : 0
        let sources = rng.sampleIndices(items.count, count: min(checks, items.count))
        for (k, source) in sources.enumerated() {
            let original = items[source]
            let intact = k % 2 == 0 ? original.answerA : original.answerB
            let kind: AttentionBreak = k % 2 == 0 ? .truncated : .shuffled
            items.append(RatingItem(number: items.count + 1, id: "attention-\(k + 1)", prompt: original.prompt, answerA: intact,
                                    answerB: broken(intact, kind, rng: &rng), systemA: "attention:intact",
                                    systemB: "attention:\(kind.rawValue)", check: kind))
        }
        return (items, notes)
    }

    /// A visibly broken copy of `text`: its first third of words, or its words shuffled.
    static func broken(_ text: String, _ kind: AttentionBreak, rng: inout SplitMix64) -> String {
        var words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        switch kind {
        case .truncated:
            return words.prefix(max(1, words.count / 3)).joined(separator: " ") + " …"
        case .shuffled:
            let original = words
            for i in stride(from: words.count - 1, to: 0, by: -1) { words.swapAt(i, rng.below(i + 1)) }
            if words == original { words.reverse() }
            return words.joined(separator: " ")
        }
    }

    /// Makes the study: the folder, study.json and the store with its settings and items.
    public static func create(_ config: RatingCreateConfig) async throws -> RatingCreated {
        try config.validate()
        let (items, notes) = try items(config)
        let regular = items.filter { $0.check == nil }.count, checks = items.count - regular
        try ConfigError.require(regular >= 1, "a", "no prompt was matched in every file", hint: "the answers must reply to the same prompts")
        let instructions = try config.instructions.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? defaultInstructions
        let adminToken = RatingToken.make()
        let settings = RatingSettings(
            seed: config.seed, ratersPerItem: config.ratersPerItem, instructions: instructions, timeoutSeconds: config.timeout,
            fastSeconds: config.fastSeconds, itemsPerRater: config.itemsPerRater,
            attentionEvery: attentionEvery(regular: min(config.itemsPerRater ?? regular, regular), checks: checks),
            completionCode: config.completionCode ?? String(RatingToken.make().prefix(10)).uppercased(), prolific: config.prolific,
            adminTokenHash: RatingToken.hash(adminToken), secret: RatingToken.make())
        try FileManager.default.createDirectory(atPath: config.out, withIntermediateDirectories: true)
        var file = RatingStudyFile(sqlite: nil, postgres: nil, schema: nil, systems: config.a + [config.b], items: regular, checks: checks,
                                   created: ISO8601DateFormatter().string(from: Date()))
        let store: RatingStore
        if let url = config.postgres {
            let location = try PostgresLocation(url: url, schema: schemaName(config.out))
            file.postgres = "postgres://\(location.user)@\(location.host):\(location.port)/\(location.database)"
            file.schema = location.schema
            store = PostgresRatingStore(location)
        } else {
            let path = config.db ?? "ratings.sqlite"
            file.sqlite = path
            store = try SQLiteRatingStore(path: resolve(path, in: config.out))
        }
        do {
            try await store.create(settings: settings, items: items)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        try AtomicFile.writeJSON(file, to: config.out + "/study.json")
        return RatingCreated(folder: config.out, adminToken: adminToken, items: regular, checks: checks,
                             store: file.postgres.map { "\($0) (schema \(file.schema ?? ""))" } ?? resolve(file.sqlite ?? "", in: config.out),
                             notes: notes)
    }

    /// Every how many items a check comes so that all `checks` fit among a rater's `regular` items, spread evenly
    /// (0 for no checks): 40 items and 4 checks give one every 11th item.
    static func attentionEvery(regular: Int, checks: Int) -> Int {
        checks > 0 ? max(2, (regular + checks) / checks) : 0
    }

    static func resolve(_ path: String, in folder: String) -> String { path.hasPrefix("/") ? path : folder + "/" + path }

    /// Reads STUDY/study.json.
    public static func file(_ folder: String) throws -> RatingStudyFile {
        let path = folder + "/study.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RatingStoreError("\(path): no rating study here (make one with mimic rate create --out \(folder))")
        }
        do {
            return try JSONDecoder().decode(RatingStudyFile.self, from: data)
        } catch {
            throw RatingStoreError("\(path): not a rating study's study.json (\(error.localizedDescription))")
        }
    }

    /// Opens the store of the study in `folder` (a PostgreSQL password comes from PGPASSWORD).
    public static func open(_ folder: String) throws -> RatingStore {
        let file = try file(folder)
        if let url = file.postgres, let schema = file.schema {
            return PostgresRatingStore(try PostgresLocation(url: url, schema: schema))
        }
        return try SQLiteRatingStore(path: resolve(file.sqlite ?? "ratings.sqlite", in: folder))
    }

    /// Everything the study in `folder` holds, read at once (its store opened and closed).
    public static func snapshot(_ folder: String) async throws -> RatingSnapshot {
        let store = try open(folder)
        do {
            let snapshot = try await store.snapshot()
            await store.close()
            return snapshot
        } catch {
            await store.close()
            throw error
        }
    }

    /// Makes `count` raters; their tokens (each shown once: only their hashes are stored).
    public static func invite(_ store: RatingStore, count: Int) async throws -> [String] {
        var tokens: [String] = []
        for _ in 0..<count {
            let token = RatingToken.make()
            _ = try await store.rater(tokenHash: RatingToken.hash(token), orCreateWith: nil, now: Date().timeIntervalSince1970)
            tokens.append(token)
        }
        return tokens
    }
}

extension RatingStudy {
    /// Makes `count` raters for the study in `folder`; their links under `baseURL`.
    public static func invite(folder: String, count: Int, baseURL: String) async throws -> [String] {
        guard count >= 1 && count <= 100_000 else { throw ConfigError(field: "count", problem: "is \(count)", hint: "1 to 100000") }
        let store = try open(folder)
        do {
            let tokens = try await invite(store, count: count)
            await store.close()
            let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
            return tokens.map { "\(base)/r/\($0)" }
        } catch {
            await store.close()
            throw error
        }
    }

    /// Serves the study in `folder` until a signal (SIGINT, SIGTERM) stops it; `onListening` gets the base URL.
    public static func serve(folder: String, host: String, port: Int, onListening: (String) -> Void) async throws {
        let store = try open(folder)
        let server: RatingServer
        do {
            server = try await RatingServer.start(store: store, host: host, port: port, handleSignals: true)
        } catch {
            await store.close()
            throw error
        }
        onListening(server.baseURL)
        try await server.wait()
        await store.close()
    }
}

/// What `mimic rate invite` is configured by.
public struct RatingInviteConfig: StageConfig, Hashable {
    /// The study folder.
    public var study = ""
    /// How many raters.
    public var count = 1
    /// The address raters will use.
    public var baseUrl = "http://127.0.0.1:8090"

    public init() {}

    public func validate() throws {
        try ConfigError.require(!study.isEmpty, "study", "is missing", hint: "name the study folder")
        try ConfigError.require((1...100_000).contains(count), "count", "is \(count)", hint: "1 to 100000")
    }
}

/// What `mimic rate serve` is configured by.
public struct RatingServeConfig: StageConfig, Hashable {
    /// The study folder.
    public var study = ""
    /// The address to listen on (0.0.0.0 for every interface).
    public var host = "127.0.0.1"
    /// The port (0 for any free one).
    public var port = 8090

    public init() {}

    public func validate() throws {
        try ConfigError.require(!study.isEmpty, "study", "is missing", hint: "name the study folder")
        try ConfigError.require(port, in: 0...65535, "port")
    }
}

extension RatingStudy {
    /// `invite(folder:count:baseURL:)` for a config.
    public static func invite(_ c: RatingInviteConfig) async throws -> [String] {
        try c.validate()
        return try await invite(folder: c.study, count: c.count, baseURL: c.baseUrl)
    }

    /// `serve(folder:host:port:onListening:)` for a config.
    public static func serve(_ c: RatingServeConfig, onListening: (String) -> Void) async throws {
        try c.validate()
        try await serve(folder: c.study, host: c.host, port: c.port, onListening: onListening)
    }
}
