// The two SQL stores: SQLite through GRDB (a file in the study folder, WAL: a commit survives the process being
// killed) and PostgreSQL through postgres-nio (tables in a schema of the study's own, for a server many raters share).
// Both run `RatingSQL`'s steps, one transaction per operation.
import Foundation
import GRDB
import Logging
import MimicCore
import NIOCore
import PostgresNIO
import Synchronization

/// Hands a lock from one task to the next in arrival order.
actor AsyncLock {
    private var held = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func lock() async {
        if !held {
            held = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func unlock() {
        if waiting.isEmpty { held = false } else { waiting.removeFirst().resume() }
    }
}

/// A study in a SQLite file.
public final class SQLiteRatingStore: RatingStore, @unchecked Sendable {
    private let pool: DatabasePool
    private let lock = AsyncLock()
    private let statements = RatingSQL(prefix: "", keyType: "INTEGER PRIMARY KEY", plainKeyType: "INTEGER PRIMARY KEY")
    /// The database file.
    public let path: String

    /// Opens (or makes) the database at `path`.
    public init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        // A transaction spans several accesses of the writer (one per statement), serialised by the store's lock.
        config.allowsUnsafeTransactions = true
        // WAL with synchronous=NORMAL: a committed vote survives the server being killed at any point.
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw RatingStoreError("\(path): cannot open the rating database: \(error)")
        }
        self.path = path
    }

    /// One-statement reads on a reader connection, beside the writer.
    private struct ReadSession: RatingSQLSession {
        let pool: DatabasePool

        func rows(_ sql: String, _ args: [SQLValue]) async throws -> [[SQLValue]] {
            try await pool.read { db in try Session.fetch(db, sql, args) }
        }

        func run(_ sql: String, _ args: [SQLValue]) async throws {
            throw RatingStoreError("a read session cannot write")
        }

        func exclusive() async throws {}
    }

    /// A transaction's statements on the writer connection. Statements that return nothing are held back and sent with
    /// the next query (or the commit), so an operation costs a few trips to the writer's queue, not one per statement;
    /// an error in any of them still fails the operation before its commit.
    private final class Session: RatingSQLSession, @unchecked Sendable {
        let pool: DatabasePool
        private var pending: [(String, [SQLValue])] = []

        init(pool: DatabasePool) { self.pool = pool }

        static func fetch(_ db: Database, _ sql: String, _ args: [SQLValue]) throws -> [[SQLValue]] {
            try Row.fetchAll(try db.cachedStatement(sql: sql), arguments: StatementArguments(args.map(\.databaseValue))).map { row in
                (0..<row.count).map { SQLValue(row[$0] as DatabaseValue) }
            }
        }

        static func execute(_ db: Database, _ statements: [(String, [SQLValue])]) throws {
            for (sql, args) in statements {
                try db.cachedStatement(sql: sql).execute(arguments: StatementArguments(args.map(\.databaseValue)))
            }
        }

        func rows(_ sql: String, _ args: [SQLValue]) async throws -> [[SQLValue]] {
            let before = pending
            pending = []
            return try await pool.writeWithoutTransaction { db in
                try Self.execute(db, before)
                return try Self.fetch(db, sql, args)
            }
        }

        func run(_ sql: String, _ args: [SQLValue]) async throws { pending.append((sql, args)) }

        /// Nothing to do: the store runs one transaction at a time, each BEGIN IMMEDIATE.
        func exclusive() async throws {}

        /// Sends the statements held back.
        func flush() async throws {
            let before = pending
            pending = []
            if !before.isEmpty { try await pool.writeWithoutTransaction { db in try Self.execute(db, before) } }
        }

        /// Forgets the statements held back and rolls back whatever began.
        func rollback() async {
            pending = []
            try? await pool.writeWithoutTransaction { db in if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") } }
        }
    }

    /// Runs `body` in one IMMEDIATE transaction on the writer connection, one operation at a time.
    private func transaction<T: Sendable>(_ body: (RatingSQLSession) async throws -> T) async throws -> T {
        await lock.lock()
        let session = Session(pool: pool)
        do {
            try await session.run("BEGIN IMMEDIATE", [])
            let value = try await body(session)
            try await session.run("COMMIT", [])
            try await session.flush()
            await lock.unlock()
            return value
        } catch {
            await session.rollback()
            await lock.unlock()
            throw error
        }
    }

    public func create(settings: RatingSettings, items: [RatingItem]) async throws {
        let exists = try await pool.read { db in try db.tableExists("settings") }
        if exists { throw RatingStoreError("\(path) holds a rating study already; choose another --out, or delete it") }
        try await transaction { try await statements.create($0, settings: settings, items: items) }
    }

    public func settings() async throws -> RatingSettings { try await statements.facts(ReadSession(pool: pool)).settings }

    public func rater(tokenHash: String, orCreateWith externalID: String?, now: Double) async throws -> RaterRecord {
        try await transaction { try await statements.raterOrCreate($0, tokenHash: tokenHash, externalID: externalID, now: now) }
    }

    public func rater(tokenHash: String) async throws -> RaterRecord? {
        try await statements.rater(ReadSession(pool: pool), tokenHash: tokenHash)
    }

    public func start(rater: Int, now: Double) async throws {
        try await transaction { try await statements.start($0, rater: rater, now: now) }
    }

    public func next(rater: Int, now: Double) async throws -> RatingTurn? {
        try await transaction { s in
            let f = try await statements.facts(s)
            return try await statements.next(s, settings: f.settings, counts: f.counts, rater: rater, now: now)
        }
    }

    public func vote(rater: Int, assignment publicID: String, shown: ShownChoice, comment: String?, now: Double) async throws -> VoteOutcome {
        try await transaction { s in
            try await statements.vote(s, settings: try await statements.facts(s).settings, rater: rater, publicID: publicID, shown: shown,
                                      comment: comment, now: now)
        }
    }

    public func setExcluded(rater: Int, _ excluded: Bool) async throws -> Bool {
        try await transaction { try await statements.setExcluded($0, rater: rater, excluded) }
    }

    public func snapshot() async throws -> RatingSnapshot { try await transaction { try await statements.snapshot($0) } }

    public func close() async { try? pool.close() }
}

extension SQLValue {
    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let i): self = .int(Int(i))
        case .double(let d): self = .double(d)
        case .string(let s): self = .text(s)
        case .blob(let b): self = .text(String(decoding: b, as: UTF8.self))
        }
    }

    var databaseValue: DatabaseValue {
        switch self {
        case .int(let i): return i.databaseValue
        case .double(let d): return d.databaseValue
        case .text(let s): return s.databaseValue
        case .null: return .null
        }
    }
}

/// Where a PostgreSQL study lives: a server URL (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`) and the schema
/// of the study's tables.
public struct PostgresLocation: Codable, Sendable, Hashable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var schema: String

    /// Reads `url`; `schema` names the study (letters, digits and `_`, a letter first, at most 48).
    public init(url: String, schema: String) throws {
        guard let c = URLComponents(string: url), ["postgres", "postgresql"].contains(c.scheme ?? ""), let host = c.host, !host.isEmpty
        else {
            throw RatingStoreError("--postgres '\(url)' is not a postgres://USER@HOST[:PORT]/DATABASE URL")
        }
        let database = String(c.path.drop { $0 == "/" })
        guard let user = c.user, !user.isEmpty, !database.isEmpty else {
            throw RatingStoreError("--postgres '\(url)' names no user or no database (postgres://USER@HOST[:PORT]/DATABASE)")
        }
        guard let first = schema.unicodeScalars.first, CharacterSet.lowercaseLetters.contains(first), schema.count <= 48,
              schema.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        else {
            throw RatingStoreError("schema '\(schema)' must be lowercase letters, digits and _, starting with a letter (48 at most)")
        }
        self.host = host
        port = c.port ?? 5432
        self.user = user
        password = c.password ?? ProcessInfo.processInfo.environment["PGPASSWORD"]
        self.database = database
        self.schema = schema
    }

    /// The URL without its password.
    public var display: String { "postgres://\(user)@\(host):\(port)/\(database) (schema \(schema))" }
}

/// A study in a PostgreSQL schema.
public final class PostgresRatingStore: RatingStore, @unchecked Sendable {
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let statements: RatingSQL
    private let prepared = PreparedStatements()
    private let location: PostgresLocation
    private let logger = Logger(label: "mimic-rate-postgres")

    /// Connects to the server at `location` (connections are made as needed; at most `connections` at once).
    public init(_ location: PostgresLocation, connections: Int = 16) {
        var config = PostgresClient.Configuration(host: location.host, port: location.port, username: location.user,
                                                  password: location.password, database: location.database, tls: .disable)
        config.options.maximumConnections = connections
        // Errors reach the caller as thrown errors; the pool's own log would only repeat them (or warn that a query
        // came before its run loop started, which is harmless: the query waits for it).
        var background = Logger(label: "mimic-rate-postgres")
        background.logLevel = .error
        let client = PostgresClient(configuration: config, backgroundLogger: background)
        self.client = client
        runner = Task { await client.run() }
        statements = RatingSQL(prefix: "\"\(location.schema)\".", keyType: "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
                               plainKeyType: "BIGINT PRIMARY KEY", dialect: .postgres)
        self.location = location
    }

    private struct Session: RatingSQLSession {
        let connection: PostgresConnection
        let logger: Logger
        /// The study's advisory lock.
        let key: Int
        /// The statements this store has prepared on each connection.
        let prepared: PreparedStatements

        /// Takes the study's advisory lock until the transaction ends (taking it twice is harmless).
        func exclusive() async throws { try await run("SELECT pg_advisory_xact_lock(?)", [.int(key)]) }

        func rows(_ sql: String, _ args: [SQLValue]) async throws -> [[SQLValue]] {
            if args.isEmpty {
                var result: [[SQLValue]] = []
                for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
                    result.append(try row.map(SQLValue.init(cell:)))
                }
                return result
            }
            let statement = try await prepared.statement(sql, args, on: connection)
            return try await statement.execute(args.map(\.postgresData)).get().map { try $0.map(SQLValue.init(preparedCell:)) }
        }

        func run(_ sql: String, _ args: [SQLValue]) async throws {
            if args.isEmpty {
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
                return
            }
            _ = try await prepared.statement(sql, args, on: connection).execute(args.map(\.postgresData)).get()
        }
    }

    /// Statements prepared once per connection, text and value types (the server parses and plans each once, not on
    /// every run); a statement's text with its casts is made only when it is first prepared.
    final class PreparedStatements: Sendable {
        private struct Key: Hashable {
            let connection: Int
            let sql: String
            let types: [UInt8]
        }
        private let known = Mutex([Key: PreparedQuery]())
        /// Statements kept at most (a study uses about 40 per connection, 16 connections at once).
        static let limit = 4096

        func statement(_ sql: String, _ args: [SQLValue], on connection: PostgresConnection) async throws -> PreparedQuery {
            let key = Key(connection: connection.id, sql: sql, types: args.map(Self.typeCode))
            if let statement = known.withLock({ $0[key] }) { return statement }
            let statement = try await connection.prepare(query: Self.numbered(sql, key.types)).get()
            known.withLock { known in
                // The pool replaces connections it closed with new ones (new ids); the old ones' statements are
                // dropped in bulk now and then rather than kept (and their connections with them) for ever.
                if known.count >= Self.limit { known.removeAll() }
                known[key] = statement
            }
            return statement
        }

        private static func typeCode(_ value: SQLValue) -> UInt8 {
            switch value {
            case .int: 0
            case .double: 1
            case .text, .null: 2
            }
        }

        /// `sql` with its `?` numbered `$1, $2, …`, each cast to its value's type (`bigint`, `double precision`,
        /// `text`), so that the server prepares the statement for exactly the values it will be given.
        static func numbered(_ sql: String, _ types: [UInt8]) -> String {
            var text = "", n = 0
            for c in sql.unicodeScalars {
                guard c == "?" else {
                    text.unicodeScalars.append(c)
                    continue
                }
                let type = ["bigint", "double precision", "text"][Int(n < types.count ? types[n] : 2)]
                n += 1
                text += "$\(n)::\(type)"
            }
            return text
        }
    }

    /// The study's advisory lock.
    private var lockKey: Int { Int(truncatingIfNeeded: SplitMix64.mix(location.schema.hashValueStable)) }

    /// Runs `body` in one transaction (READ COMMITTED: each of `RatingSQL`'s conditional updates sees the row as it is
    /// when it writes it); one ended by the server as a deadlock or a serialization failure is run again, up to five
    /// times. An exclusion takes the study's advisory lock (`RatingSQLSession.exclusive`).
    private func transaction<T: Sendable>(_ body: @escaping @Sendable (RatingSQLSession) async throws -> T) async throws -> T {
        let logger = self.logger, key = lockKey, prepared = self.prepared
        do {
            var attempt = 0
            while true {
                attempt += 1
                do {
                    return try await client.withTransaction(logger: logger) { connection in
                        try await body(Session(connection: connection, logger: logger, key: key, prepared: prepared))
                    }
                } catch where attempt < 5 && Self.mustRetry(error) {
                    // Ended by the server as a deadlock (or a serialization failure): nothing of it was kept; run it again.
                    try await Task.sleep(nanoseconds: UInt64.random(in: 1_000_000...10_000_000))
                }
            }
        } catch let error as RatingStoreError {
            throw error
        } catch {
            throw RatingStoreError("PostgreSQL \(location.display): \(Self.describe(error))")
        }
    }

    /// Whether a failed transaction was ended by the server for a deadlock or a serialization failure.
    static func mustRetry(_ error: Error) -> Bool {
        if let t = error as? PostgresTransactionError {
            return [t.beginError, t.closureError, t.commitError].compactMap { $0 }.contains(where: mustRetry)
        }
        return ["40P01", "40001"].contains(sqlState(error))
    }

    /// The server's SQLSTATE code for a failed statement: postgres-nio reports it in a `PSQLError`, or in a
    /// `PostgresError` from a prepared statement.
    static func sqlState(_ error: Error) -> String? {
        if let p = error as? PSQLError { return p.serverInfo?[.sqlState] }
        if case .server(let e)? = error as? PostgresError { return e.fields[.sqlState] }
        return nil
    }

    /// The server's message for a failed query or transaction (postgres-nio hides it from `description`).
    static func describe(_ error: Error) -> String {
        if let t = error as? PostgresTransactionError {
            return [t.beginError, t.closureError, t.commitError, t.rollbackError].compactMap { $0 }.map(describe).joined(separator: "; ")
        }
        if String(describing: type(of: error)) == "ConnectionPoolError" {
            return "cannot connect: the server is not running there, refused the user, or wants a password (Mimic keeps none in the "
                + "study folder; give it in PGPASSWORD)"
        }
        if case .server(let e)? = error as? PostgresError, let message = e.fields[.message] { return message }
        if let p = error as? PSQLError {
            if let message = p.serverInfo?[.message] { return message }
            return "\(p.code)" + (p.underlying.map { ": \($0)" } ?? "")
        }
        return "\(error)"
    }

    public func create(settings: RatingSettings, items: [RatingItem]) async throws {
        let statements = self.statements, schema = location.schema, display = location.display
        try await transaction { s in
            if !(try await s.rows("SELECT 1 FROM information_schema.schemata WHERE schema_name = ?", [.text(schema)]).isEmpty) {
                throw RatingStoreError("\(display) holds schema \(schema) already; choose another study name, or drop the schema")
            }
            try await s.run("CREATE SCHEMA \"\(schema)\"", [])
            try await statements.create(s, settings: settings, items: items)
        }
    }

    public func settings() async throws -> RatingSettings {
        try await transaction { [statements] in try await statements.facts($0).settings }
    }

    public func rater(tokenHash: String, orCreateWith externalID: String?, now: Double) async throws -> RaterRecord {
        let statements = self.statements
        return try await transaction { try await statements.raterOrCreate($0, tokenHash: tokenHash, externalID: externalID, now: now) }
    }

    public func rater(tokenHash: String) async throws -> RaterRecord? {
        // One read, outside a transaction (one trip to the server, not three).
        let statements = self.statements, logger = self.logger, key = lockKey, prepared = self.prepared
        do {
            return try await client.withConnection { connection in
                try await statements.rater(Session(connection: connection, logger: logger, key: key, prepared: prepared), tokenHash: tokenHash)
            }
        } catch {
            throw RatingStoreError("PostgreSQL \(location.display): \(Self.describe(error))")
        }
    }

    public func start(rater: Int, now: Double) async throws {
        let statements = self.statements
        try await transaction { try await statements.start($0, rater: rater, now: now) }
    }

    public func next(rater: Int, now: Double) async throws -> RatingTurn? {
        // The usual case in two statements without a transaction (a turn, or none left); any other goes through the
        // rules in one.
        let statements = self.statements
        if let answer = try await usualCase({ s in
            let f = try await statements.facts(s)
            return try await statements.nextInTwoStatements(s, settings: f.settings, counts: f.counts, rater: rater, now: now)
        }) { return answer }
        return try await transaction { s in
            let f = try await statements.facts(s)
            return try await statements.next(s, settings: f.settings, counts: f.counts, rater: rater, now: now)
        }
    }

    public func vote(rater: Int, assignment publicID: String, shown: ShownChoice, comment: String?, now: Double) async throws -> VoteOutcome {
        // The usual vote is one statement; any other case goes through the rules in a transaction.
        let statements = self.statements
        if let done = try await usualCase({ s in
            try await statements.voteInOneStatement(s, rater: rater, publicID: publicID, shown: shown, comment: comment, now: now)
        }) { return done }
        return try await transaction { s in
            try await statements.vote(s, settings: try await statements.facts(s).settings, rater: rater, publicID: publicID, shown: shown,
                                      comment: comment, now: now)
        }
    }

    /// Runs `body` on a connection outside a transaction (each of its statements is its own): its answer, or nil when
    /// it has none, the server ended it as a deadlock (nothing of that statement was kept), or the study's schema was
    /// made before `mimic_next_slot` existed (a study created by an earlier Mimic; any other missing function is an
    /// error), so that the caller decides in a transaction.
    private func usualCase<T: Sendable>(_ body: @escaping @Sendable (RatingSQLSession) async throws -> T?) async throws -> T? {
        let logger = self.logger, key = lockKey, prepared = self.prepared
        do {
            return try await client.withConnection { connection in try await body(Session(connection: connection, logger: logger, key: key, prepared: prepared)) }
        } catch where Self.mustRetry(error) || (Self.sqlState(error) == "42883" && Self.describe(error).contains("mimic_next_slot")) {
            return nil
        } catch let error as RatingStoreError {
            throw error
        } catch {
            throw RatingStoreError("PostgreSQL \(location.display): \(Self.describe(error))")
        }
    }

    public func setExcluded(rater: Int, _ excluded: Bool) async throws -> Bool {
        let statements = self.statements
        return try await transaction { try await statements.setExcluded($0, rater: rater, excluded) }
    }

    public func snapshot() async throws -> RatingSnapshot {
        let statements = self.statements
        return try await transaction { s in
            // One consistent view of every table, without holding up the raters.
            try await s.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", [])
            return try await statements.snapshot(s)
        }
    }

    /// `RatingOrder.swapped` as the study's SQL function computes it, for each of `cases` (the tests hold the two
    /// to each other over seeds, raters and items).
    func swappedInSQL(_ cases: [(seed: UInt64, rater: Int, item: Int)]) async throws -> [Bool] {
        let statements = self.statements
        return try await transaction { s in
            var out: [Bool] = []
            for c in cases {
                let row = try await s.rows(statements.sql("SELECT {p}mimic_swapped(?, ?, ?)"),
                                           [.int(Int(truncatingIfNeeded: c.seed)), .int(c.rater), .int(c.item)])
                out.append(row.first?.first?.int == 1)
            }
            return out
        }
    }

    /// Makes the study's schema look like one created before `mimic_next_slot` existed (tests use it).
    func dropNextSlotFunction() async throws {
        let statements = self.statements
        try await transaction { try await $0.run(statements.sql("DROP FUNCTION {p}mimic_next_slot"), []) }
    }

    /// Drops the study's schema and everything in it (tests use it to clean up).
    public func drop() async throws {
        let schema = location.schema
        try await transaction { try await $0.run("DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE", []) }
    }

    public func close() async { runner.cancel() }
}

extension SQLValue {
    init(cell: PostgresCell) throws {
        guard cell.bytes != nil else {
            self = .null
            return
        }
        switch cell.dataType {
        case .int2, .int4, .int8: self = .int(try cell.decode(Int.self))
        case .bool: self = .int(try cell.decode(Bool.self) ? 1 : 0)
        case .float4, .float8, .numeric: self = .double(try cell.decode(Double.self))
        default: self = .text(try cell.decode(String.self))
        }
    }
}

extension SQLValue {
    /// A cell of a prepared statement's row. Those rows come in binary, but their cells say text (the description
    /// they carry is the statement's, made before the formats were chosen), so the bytes are read by type here.
    init(preparedCell cell: PostgresCell) throws {
        guard var bytes = cell.bytes else {
            self = .null
            return
        }
        func value<T: FixedWidthInteger>(_: T.Type) throws -> T {
            guard let v = bytes.readInteger(as: T.self) else { throw RatingStoreError("column \(cell.columnName) is cut short") }
            return v
        }
        switch cell.dataType {
        case .int2: self = .int(Int(try value(Int16.self)))
        case .int4: self = .int(Int(try value(Int32.self)))
        case .int8: self = .int(Int(try value(Int64.self)))
        case .bool: self = .int(try value(UInt8.self) != 0 ? 1 : 0)
        case .float4: self = .double(Double(Float(bitPattern: try value(UInt32.self))))
        case .float8: self = .double(Double(bitPattern: try value(UInt64.self)))
        case .text, .varchar, .name, .bpchar: self = .text(String(buffer: bytes))
        default: throw RatingStoreError("column \(cell.columnName) has type \(cell.dataType), which the rating store does not read")
        }
    }

    /// The value as postgres-nio binds it to a prepared statement.
    var postgresData: PostgresData {
        switch self {
        case .int(let i): PostgresData(int: i)
        case .double(let d): PostgresData(double: d)
        case .text(let s): PostgresData(string: s)
        case .null: .null
        }
    }
}
