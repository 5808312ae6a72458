// Limits at the connection level, below the routes: at most `maxConnections` open connections (more are closed at
// once, so slow or idle clients cannot hold every socket), and a connection is closed after a 413, so a client
// still sending a body it was refused is not left waiting while the server reads it to the end.
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

    let counter: ConnectionCounter
    let watch: ClientWatch
    private var counted = false
    private var closeAfterResponse = false

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
        watch.gone(context.channel)
        watch.forget(context.channel)
    }

    // The client closed its side (the server keeps its own open to answer, so the channel itself stays active).
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { watch.gone(context.channel) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        watch.gone(context.channel)
        context.fireChannelInactive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.status == .contentTooLarge || head.status == .requestTimeout { closeAfterResponse = true }
        case .end where closeAfterResponse:
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
            return
        default: break
        }
        context.write(data, promise: promise)
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
