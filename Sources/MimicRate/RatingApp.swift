// `mimic rate serve`: the rating web app over a store. Raters arrive by a personal link (/r/TOKEN) or a Prolific entry
// (/p?PROLIFIC_PID=…), read the instructions once, rate one item at a time and get a completion code; the organiser
// follows progress and excludes raters at /admin/TOKEN. Tokens are unguessable and only their hashes are stored; a
// form must carry its rater's CSRF value and come from this origin; bodies and request rates are limited; anything
// wrong gets a 4xx and changes nothing. A vote is committed before its redirect is sent.
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MimicCore
import NIOCore

/// The request context: Hummingbird's, with the peer's address (for the rate limit of failed lookups).
struct RateContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let peer: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress?.ipAddress ?? "?"
    }
}

/// Token buckets by key: `capacity` requests at once, refilled at `rate` per second.
final class RateLimiter: @unchecked Sendable {
    private let lock = NSLock()
    private var buckets: [String: (tokens: Double, at: Double)] = [:]
    let capacity: Double
    let rate: Double

    init(capacity: Double, rate: Double) {
        self.capacity = capacity
        self.rate = rate
    }

    /// Takes one token from `key`'s bucket; false when it is empty.
    func allow(_ key: String, now: Double = Date().timeIntervalSince1970) -> Bool {
        lock.withLock {
            if buckets.count > 100_000 { buckets.removeAll() }
            var b = buckets[key] ?? (capacity, now)
            b.tokens = min(capacity, b.tokens + (now - b.at) * rate)
            b.at = now
            guard b.tokens >= 1 else {
                buckets[key] = b
                return false
            }
            b.tokens -= 1
            buckets[key] = b
            return true
        }
    }
}

/// The rating app.
public struct RatingApp: Sendable {
    /// The longest comment kept, in characters, and the largest body read, in bytes.
    public static let maxComment = 2000
    public static let maxBody = 16 * 1024

    let store: RatingStore
    let settings: RatingSettings
    let clock: @Sendable () -> Double
    /// Per rater (and admin): 40 requests at once, 20 a second after that.
    let perToken = RateLimiter(capacity: 40, rate: 20)
    /// Per peer address, for links that name no rater: 30 at once, 2 a second after that.
    let failures = RateLimiter(capacity: 30, rate: 2)
    /// Raters already looked up, by token hash, for the forms: their id and CSRF token never change. (The pages read
    /// the rater afresh: whether they started or were excluded can change.)
    let known = MemoCache<String, RaterRecord>()

    /// An app over `store` (whose settings are read once); `clock` gives the time in seconds (tests move it).
    public init(store: RatingStore, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) async throws {
        self.store = store
        settings = try await store.settings()
        self.clock = clock
    }

    /// A failure the app answers with a status and a short page.
    struct Refusal: Error, HTTPResponseError {
        var status: HTTPResponse.Status
        var message: String
        var continueTo: String?

        init(_ status: HTTPResponse.Status, _ message: String, continueTo: String? = nil) {
            self.status = status
            self.message = message
            self.continueTo = continueTo
        }

        func response(from request: Request, context: some RequestContext) throws -> Response {
            RatingApp.html(RatingPages.notice(status.reasonPhrase, message, continueTo: continueTo), status: status)
        }
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// Adds the security headers to every response, and turns unexpected errors into a 500 page without details.
    struct Headers: RouterMiddleware {
        func handle(_ request: Request, context: RateContext, next: (Request, RateContext) async throws -> Response) async throws -> Response {
            var response: Response
            do {
                response = try await next(request, context)
            } catch let error as HTTPResponseError {
                response = try error.response(from: request, context: context)
            } catch {
                context.logger.error("rating app: \(error)")
                response = RatingApp.html(RatingPages.notice("Server error", "Something went wrong on the server; try again."),
                                          status: .internalServerError)
            }
            response.headers[.contentSecurityPolicy] =
                "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
            response.headers[.xContentTypeOptions] = "nosniff"
            response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
            response.headers[.cacheControl] = "no-store"
            response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
            return response
        }
    }

    func router() -> Router<RateContext> {
        let router = Router(context: RateContext.self)
        router.add(middleware: Headers())
        router.get("/") { _, _ in
            RatingApp.html(RatingPages.notice("Rating study", "Open the personal link you were given to take part."))
        }
        router.get("/health") { _, _ in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok"))) }
        router.get("/static/rate.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: RatingPages.css)))
        }
        router.get("/static/rate.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: RatingPages.script)))
        }
        router.get("/r/:token") { request, context in try await self.show(request, context) }
        router.post("/r/:token/start") { request, context in try await self.startRating(request, context) }
        router.post("/r/:token/vote") { request, context in try await self.vote(request, context) }
        router.get("/p") { request, context in try await self.participant(request, context) }
        router.get("/admin/:token") { request, context in try await self.adminPage(request, context) }
        router.post("/admin/:token/exclude") { request, context in try await self.exclude(request, context) }
        return router
    }

    // MARK: raters

    /// The rater named by the path's token: 404 for a malformed or unknown token (and a failure counted against the
    /// peer), 429 past the rate limits.
    func rater(_ context: RateContext, cached: Bool = false, counted: Bool = true) async throws -> RaterRecord {
        let token = context.parameters.get("token") ?? ""
        let hash = RatingToken.isWellFormed(Substring(token)) ? RatingToken.hash(token) : nil
        let found: RaterRecord?
        if let hash, cached, let r = known[hash] {
            found = r
        } else {
            found = hash == nil ? nil : try await store.rater(tokenHash: hash!)
            if let found { known[found.tokenHash] = found }
        }
        guard let r = found else {
            if !failures.allow(context.peer) { throw Refusal(.tooManyRequests, "Too many requests; wait a moment.") }
            throw Refusal(.notFound, "This link is not valid. Check it against the one you were given.")
        }
        guard !counted || perToken.allow(r.tokenHash) else { throw Refusal(.tooManyRequests, "Too many requests; wait a moment.") }
        return r
    }

    func show(_ request: Request, _ context: RateContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        // A rater known to have started goes straight to their next item (the store refuses excluded raters); the
        // rater is read afresh to find out why there is none, and before they started.
        let remembered = try await rater(context, cached: true)
        if remembered.startedAt != nil, !remembered.excluded, let turn = try await store.next(rater: remembered.id, now: clock()) {
            return Self.html(RatingPages.item(token: token, csrf: remembered.csrf, turn: turn))
        }
        let r = try await rater(context, counted: false)
        if r.excluded { return Self.html(RatingPages.notice("Thank you", "There is nothing more for you to rate.")) }
        guard r.startedAt != nil else { return Self.html(RatingPages.instructions(token: token, csrf: r.csrf, settings: settings)) }
        guard let turn = try await store.next(rater: r.id, now: clock()) else {
            return Self.html(RatingPages.complete(code: settings.completionCode))
        }
        return Self.html(RatingPages.item(token: token, csrf: r.csrf, turn: turn))
    }

    func startRating(_ request: Request, _ context: RateContext) async throws -> Response {
        let r = try await rater(context, cached: true)
        let form = try await Self.form(request, expect: r.csrf)
        guard form.keys.allSatisfy({ $0 == "csrf" }) else { throw Refusal(.badRequest, "This form has fields it should not have.") }
        try await store.start(rater: r.id, now: clock())
        return Self.redirect("/r/\(context.parameters.get("token") ?? "")")
    }

    func vote(_ request: Request, _ context: RateContext) async throws -> Response {
        let r = try await rater(context, cached: true)
        let token = context.parameters.get("token") ?? ""
        let form = try await Self.form(request, expect: r.csrf)
        guard Set(form.keys).isSubset(of: ["csrf", "assignment", "choice", "comment"]) else {
            throw Refusal(.badRequest, "This form has fields it should not have.")
        }
        guard let assignment = form["assignment"], RatingToken.isWellFormed(Substring(assignment)) else {
            throw Refusal(.badRequest, "The vote names no item.")
        }
        guard let text = form["choice"], ["1", "2", "3"].contains(text), let choice = Int(text).flatMap(ShownChoice.init(rawValue:)) else {
            throw Refusal(.badRequest, "Choose 1 (Output 1 is better), 2 (Output 2 is better) or 3 (same quality).")
        }
        let comment = form["comment"].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        guard (comment?.count ?? 0) <= Self.maxComment else {
            throw Refusal(.contentTooLarge, "The comment is longer than \(Self.maxComment) characters.")
        }
        switch try await store.vote(rater: r.id, assignment: assignment, shown: choice, comment: comment, now: clock()) {
        case .accepted: return Self.redirect("/r/\(token)")
        case .unknown: throw Refusal(.notFound, "That item is not one of yours.", continueTo: "/r/\(token)")
        case .alreadyVoted: throw Refusal(.conflict, "Your vote on that item was recorded already.", continueTo: "/r/\(token)")
        case .expired:
            throw Refusal(.conflict, "That item waited too long and went to another rater; your vote on it was not kept.",
                          continueTo: "/r/\(token)")
        case .excluded: throw Refusal(.forbidden, "There is nothing more for you to rate.")
        }
    }

    func participant(_ request: Request, _ context: RateContext) async throws -> Response {
        guard settings.prolific else { throw Refusal(.notFound, "This study has no Prolific entry.") }
        let query = request.uri.queryParameters
        guard let pid = query["PROLIFIC_PID"].map(String.init), !pid.isEmpty, pid.count <= 64,
              pid.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
        else { throw Refusal(.badRequest, "The link has no valid PROLIFIC_PID.") }
        guard failures.allow("prolific:" + context.peer) else { throw Refusal(.tooManyRequests, "Too many requests; wait a moment.") }
        let token = settings.participantToken(pid)
        _ = try await store.rater(tokenHash: RatingToken.hash(token), orCreateWith: pid, now: clock())
        return Self.redirect("/r/\(token)")
    }

    // MARK: admin

    var adminCSRF: String { String(SHA256.hex(Data("\(settings.secret):admin-form".utf8)).prefix(32)) }

    func admin(_ context: RateContext) throws {
        let token = context.parameters.get("token") ?? ""
        guard RatingToken.isWellFormed(Substring(token)), Self.same(RatingToken.hash(token), settings.adminTokenHash) else {
            if !failures.allow(context.peer) { throw Refusal(.tooManyRequests, "Too many requests; wait a moment.") }
            throw Refusal(.notFound, "This link is not valid.")
        }
        guard perToken.allow("admin") else { throw Refusal(.tooManyRequests, "Too many requests; wait a moment.") }
    }

    func adminPage(_ request: Request, _ context: RateContext) async throws -> Response {
        try admin(context)
        let snapshot = try await store.snapshot()
        let report = RatingReporting.report(snapshot, judgments: nil, resamples: 0, seed: settings.seed)
        return Self.html(RatingPages.admin(token: context.parameters.get("token") ?? "", csrf: adminCSRF, snapshot: snapshot, report: report))
    }

    func exclude(_ request: Request, _ context: RateContext) async throws -> Response {
        try admin(context)
        let form = try await Self.form(request, expect: adminCSRF)
        guard Set(form.keys).isSubset(of: ["csrf", "rater", "excluded"]), let rater = form["rater"].flatMap(Int.init),
              let flag = form["excluded"], flag == "0" || flag == "1"
        else { throw Refusal(.badRequest, "The form needs rater (a number) and excluded (0 or 1).") }
        guard try await store.setExcluded(rater: rater, flag == "1") else { throw Refusal(.notFound, "There is no rater \(rater).") }
        return Self.redirect("/admin/\(context.parameters.get("token") ?? "")")
    }

    // MARK: forms

    /// Compares secrets in time that does not depend on where they differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The form of a POST: from this origin (403), URL-encoded (415), at most `maxBody` bytes (413), well formed with
    /// each field once (400), and carrying `expect` as its csrf field (403).
    static func form(_ request: Request, expect csrf: String) async throws -> [String: String] {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" {
            throw Refusal(.forbidden, "Forms are accepted from this site only.")
        }
        // The pages' Referrer-Policy (same-origin) makes browsers send the real Origin with their forms.
        if let origin = request.headers[.origin] {
            let host = request.head.authority ?? ""
            guard origin == "http://\(host)" || origin == "https://\(host)" else {
                throw Refusal(.forbidden, "Forms are accepted from this site only.")
            }
        }
        let type = request.headers[.contentType]?.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? []
        guard type.first == "application/x-www-form-urlencoded", type.dropFirst().allSatisfy({ $0 == "charset=utf-8" }) else {
            throw Refusal(.unsupportedMediaType, "Send the form as application/x-www-form-urlencoded.")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBody {
            throw Refusal(.contentTooLarge, "The form is larger than \(maxBody) bytes.")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBody)
        } catch is NIOTooManyBytesError {
            throw Refusal(.contentTooLarge, "The form is larger than \(maxBody) bytes.")
        } catch {
            throw Refusal(.badRequest, "The form is not well formed.")
        }
        guard let body = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw Refusal(.badRequest, "The form is not UTF-8.")
        }
        var fields: [String: String] = [:]
        for part in body.split(separator: "&", omittingEmptySubsequences: true) {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = decode(pair[0]), let value = decode(pair.count > 1 ? pair[1] : ""), !key.isEmpty else {
                throw Refusal(.badRequest, "The form is not well formed.")
            }
            guard fields[key] == nil else { throw Refusal(.badRequest, "The form repeats the field \(HTML.escape(String(key.prefix(40)))).") }
            fields[key] = value
        }
        guard let given = fields["csrf"], same(given, csrf) else {
            throw Refusal(.forbidden, "This form is not valid for this link; reload the page and try again.")
        }
        return fields
    }

    /// A URL-encoded form component (`+` a space); nil for a broken escape or text that is not UTF-8.
    static func decode(_ s: Substring) -> String? {
        s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}

/// A running rating server: start it, read `port`, stop it.
public final class RatingServer: Sendable {
    public let host: String
    public let port: Int
    private let task: Task<Void, Error>
    private let store: RatingStore

    /// The base URL, e.g. `http://127.0.0.1:8090`.
    public var baseURL: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    private init(host: String, port: Int, task: Task<Void, Error>, store: RatingStore) {
        self.host = host
        self.port = port
        self.task = task
        self.store = store
    }

    /// Serves the study in `store` on `host:port` (0: any free port) and returns once listening.
    public static func start(store: RatingStore, host: String = "127.0.0.1", port: Int = 0, handleSignals: Bool = false,
                             clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) async throws -> RatingServer {
        let app = try await RatingApp(store: store, clock: clock)
        let (portStream, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "mimic-rate")
        logger.logLevel = ProcessInfo.processInfo.environment["MIMIC_SERVER_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        let application = Application(
            router: app.router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "mimic-rate"),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? -1)
                continuation.finish()
            },
            logger: logger)
        let task = Task {
            defer { continuation.finish() }
            try await application.runService(gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [])
        }
        var bound: Int?
        for await p in portStream { bound = p }
        guard let bound, bound > 0 else {
            task.cancel()
            let reason: String
            switch await task.result {
            case .failure(let error): reason = "\(error)"
            case .success: reason = "the server ended before it was listening"
            }
            throw RatingStoreError("cannot listen on \(host):\(port): \(reason)")
        }
        return RatingServer(host: host, port: bound, task: task, store: store)
    }

    /// Waits until the server ends (a signal, with `handleSignals`).
    public func wait() async throws { try await task.value }

    /// Stops the server and closes the store.
    public func stop() async {
        task.cancel()
        _ = await task.result
        await store.close()
    }
}
