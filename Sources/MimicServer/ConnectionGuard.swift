// Limits at the connection level, below the routes: at most `maxConnections` open connections (more are closed at
// once, so slow or idle clients cannot hold every socket), and a connection ends after a 413 or 408, so a client
// still sending a body it was refused is not left waiting while the server reads it to the end. After a 408 (a
// client too slow to send) the connection closes at once; after a 413 it ends as
// web servers end one (nginx's "lingering close"): the server closes its sending side, then reads and drops what
// the client is still sending, for a bounded time, before it closes. Closing at once would make the kernel answer
// the client's next bytes with a reset, and a client that writes its whole body before it reads (most do) would
// see "connection reset" instead of the 413. The answers do not say `Connection: close`: AsyncHTTPClient, seeing it
// on an answer that comes before its upload ends, closes the connection itself and reports "I/O on closed channel"
// instead of the 413 (the server's end of file after the answer tells every client the same).
import Foundation
import Hummingbird
import HummingbirdCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTPTypes

/// The open connections of one server.
final class ConnectionCounter: Sendable {
    let limit: Int
    private let open = NIOLockedValueBox(0)

    init(limit: Int) { self.limit = limit }

    /// Counts a new connection; false (and not counted) when `limit` are open already.
    func enter() -> Bool {
        open.withLockedValue { n in
            guard n < limit else { return false }
            n += 1
            return true
        }
    }

    func leave() { open.withLockedValue { $0 -= 1 } }

    /// Connections open now.
    var count: Int { open.withLockedValue { $0 } }
}

/// Which connections' clients have gone (closed their side or reset), and what to do when one goes: a generation
/// waiting on a client that left is stopped, whether it streams or not.
final class ClientWatch: Sendable {
    private struct Entry {
        var gone = false
        var actions: [Int: @Sendable () -> Void] = [:]
    }
    private let entries = NIOLockedValueBox([ObjectIdentifier: Entry]())
    private let next = NIOLockedValueBox(0)

    /// Runs `action` once the client of `channel` goes (at once if it has gone already); returns a token for
    /// `done`, which a request calls when it ends, so that a long-lived connection keeps no action per request.
    @discardableResult
    func whenGone(_ channel: any Channel, _ action: @escaping @Sendable () -> Void) -> Int {
        let token = next.withLockedValue { n in n += 1; return n }
        let now = entries.withLockedValue { all -> Bool in
            let key = ObjectIdentifier(channel)
            if all[key]?.gone == true || !channel.isActive { return true }
            all[key, default: Entry()].actions[token] = action
            return false
        }
        if now { action() }
        return token
    }

    /// Forgets the action `token` named (its request has ended).
    func done(_ channel: any Channel, _ token: Int) {
        entries.withLockedValue { all in _ = all[ObjectIdentifier(channel)]?.actions.removeValue(forKey: token) }
    }

    func gone(_ channel: any Channel) {
        let actions = entries.withLockedValue { all -> [@Sendable () -> Void] in
            let key = ObjectIdentifier(channel)
            let pending = Array((all[key]?.actions ?? [:]).values)
            all[key] = Entry(gone: true)
            return pending
        }
        actions.forEach { $0() }
    }

    /// Actions waiting for a client to go, over all connections (0 when no request is running).
    var waiting: Int { entries.withLockedValue { $0.values.reduce(0) { $0 + $1.actions.count } } }

    func forget(_ channel: any Channel) { _ = entries.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(channel)) } }
}

/// One per connection, in the HTTP pipeline.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// How long a connection ending after a 413 keeps reading (and dropping) what its client still sends: until
    /// `lingerIdle` passes without a byte, `lingerTotal` in all, or `lingerBytes` have been dropped (or the
    /// server's idle time-out, when it is shorter, closes it first).
    static let lingerIdle: TimeAmount = .seconds(2)
    static let lingerTotal: TimeAmount = .seconds(10)
    static let lingerBytes = 256 << 20

    let counter: ConnectionCounter
    let watch: ClientWatch
    private var counted = false
    /// How the connection ends once the answer now being written is out (nil: it stays open).
    private var ending: Ending?
    /// Reading and dropping what the client still sends, after a 413.
    private var lingering = false

    private enum Ending { case close, linger }
    private var dropped = 0
    private var idleTimer: Scheduled<Void>?
    private var totalTimer: Scheduled<Void>?

    init(counter: ConnectionCounter, watch: ClientWatch) {
        self.counter = counter
        self.watch = watch
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if counter.enter() { counted = true } else { context.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if counted { counter.leave() }
        counted = false
        idleTimer?.cancel()
        totalTimer?.cancel()
        watch.gone(context.channel)
        watch.forget(context.channel)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard lingering else { return context.fireChannelRead(data) }
        if case .body(let bytes) = unwrapInboundIn(data) { dropped += bytes.readableBytes }
        if dropped > Self.lingerBytes { return context.close(promise: nil) }
        idleTimer?.cancel()
        idleTimer = Self.closeLater(context, after: Self.lingerIdle)
    }

    // The client closed its side (the server keeps its own open to answer, so the channel itself stays active).
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            watch.gone(context.channel)
            if lingering { return context.close(promise: nil) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // What a client sends after its refused body (garbage included) is dropped, not answered.
        guard lingering else { return context.fireErrorCaught(error) }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        watch.gone(context.channel)
        context.fireChannelInactive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status == .contentTooLarge || head.status == .requestTimeout:
            ending = head.status == .contentTooLarge ? .linger : .close
        case .end where ending != nil:
            // From the answer's end on, nothing more the client sends is read as a request (a request pipelined
            // behind the refused one would otherwise be answered on a closing connection).
            lingering = ending == .linger
            ending = nil
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.cascade(to: promise)
            context.writeAndFlush(data, promise: written)
            written.futureResult.whenComplete { [self] result in
                guard case .success = result, context.channel.isActive, lingering else { return context.close(promise: nil) }
                context.close(mode: .output, promise: nil)
                idleTimer?.cancel()
                idleTimer = Self.closeLater(context, after: Self.lingerIdle)
                totalTimer = Self.closeLater(context, after: Self.lingerTotal)
                context.read()
            }
            return
        default: break
        }
        context.write(data, promise: promise)
    }

    private static func closeLater(_ context: ChannelHandlerContext, after delay: TimeAmount) -> Scheduled<Void> {
        context.eventLoop.scheduleTask(in: delay) { context.close(promise: nil) }
    }
}

/// The request context of `mimic serve`'s routes: Hummingbird's, plus the connection, so that a request's
/// generation stops when its client goes away (`ClientWatch`).
struct ServeContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
