// YAML from files that may be hostile (task files, study manifests, judge prompts, config files): aliases are YAML
// and stay allowed, but a document whose aliases expand to more nodes than any real file has (the "billion laughs"
// bomb: a few lines that grow to billions of values when built), to more text than any real file has (one long
// string repeated through aliases), or that nests deeper than any real file (aliases followed) is refused before
// anything is built from it. The check reads libyaml's event stream, not Yams' node tree: Yams hashes every
// mapping's keys while it composes (its duplicate-key check), and hashing an alias key walks its whole expansion, so
// a bomb used as a key (`*big : 1`, `? *big`) would take exponential time inside `compose` itself. Over events each
// anchor's expanded size is known when its node ends, so the whole document is counted in one linear pass.
import CYaml
import Foundation
import Yams

public enum YAMLGuard {
    /// The most nodes a document may expand to, aliases followed.
    public static let maxNodes = 200_000
    /// The deepest nesting allowed, aliases followed.
    public static let maxDepth = 64
    /// The most bytes of text (scalars and keys) a document may expand to beyond its own length, aliases followed:
    /// a few aliases of one long string would otherwise build gigabytes.
    public static let maxExtraBytes = 32 << 20

    /// Why a document was refused.
    public struct TooLarge: Error, LocalizedError, Equatable {
        public var problem: String
        public var errorDescription: String? { problem }
    }

    /// The first document's node tree, checked before it is composed.
    public static func compose(_ text: String) throws -> Node? {
        try check(text)
        return try Yams.compose(yaml: text)
    }

    /// The first document as Swift values (`Yams.load`), checked before they are built.
    public static func load(_ text: String) throws -> Any? { try compose(text)?.any }

    /// Throws `TooLarge` when the first document of `text` expands past `maxNodes` or nests past `maxDepth`. Syntax
    /// errors are left to the composer, which reports them with their position.
    public static func check(_ text: String) throws {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            try scan(&parser, length: buffer.count)
        }
    }

    private static func scan(_ parser: inout yaml_parser_t, length: Int) throws {
        let tooMany = TooLarge(problem: "expands to more than \(maxNodes) values (aliases repeated inside aliases?); a real file is far smaller")
        let tooLong = TooLarge(problem: "expands to more than \((length + maxExtraBytes) >> 20) MB of text (a long value repeated through aliases?)")
        let tooDeep = TooLarge(problem: "nests deeper than \(maxDepth) levels")
        /// A node's expansion: values, levels (1 for a scalar) and bytes, each saturating past its limit.
        struct Size {
            var nodes = 0, height = 0, bytes = 0
            mutating func add(_ child: Size) {
                nodes = min(YAMLGuard.maxNodes + 1, nodes + child.nodes)
                height = max(height, child.height + 1)
                bytes = min(Int.max / 4, bytes + child.bytes)
            }
        }
        // Each open collection: its expansion so far, its anchor, whether it is a mapping and how many nodes it
        // holds (in a mapping, even positions are keys).
        var open: [(size: Size, anchor: String?, mapping: Bool, count: Int)] = []
        var anchors: [String: (size: Size, scalar: Bool)] = [:]
        func anchorName(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            pointer.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
        }
        /// Refuses a list or mapping used as a mapping key: no configuration has one, and Yams stops the program
        /// (a forced unwrap) when it turns such a mapping into values.
        func checkKey(scalar: Bool, line: Int) throws {
            guard !scalar, let parent = open.last, parent.mapping, parent.count % 2 == 0 else { return }
            throw TooLarge(problem: "line \(line + 1): a mapping key must be plain text, not a list or mapping")
        }
        /// Adds a finished node (or an alias's expansion) to its parent and to the document's totals.
        func add(_ node: Size) throws {
            if node.nodes > maxNodes { throw tooMany }
            if open.count + node.height > maxDepth + 1 { throw tooDeep }
            if node.bytes > length + maxExtraBytes { throw tooLong }
            if open.isEmpty { return }
            open[open.count - 1].size.add(node)
            open[open.count - 1].count += 1
            let parent = open[open.count - 1].size
            if parent.nodes > maxNodes { throw tooMany }
            if parent.bytes > length + maxExtraBytes { throw tooLong }
        }
        func start(_ anchor: String?, mapping: Bool, line: Int) throws {
            try checkKey(scalar: false, line: line)
            open.append((Size(nodes: 1, height: 1, bytes: 0), anchor, mapping, 0))
            guard open.count <= maxDepth + 1 else { throw tooDeep }
        }
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { return }
            defer { yaml_event_delete(&event) }
            let line = Int(event.start_mark.line)
            switch event.type {
            case YAML_SCALAR_EVENT:
                let scalar = Size(nodes: 1, height: 1, bytes: Int(event.data.scalar.length))
                if let name = anchorName(event.data.scalar.anchor) { anchors[name] = (scalar, true) }
                try add(scalar)
            case YAML_ALIAS_EVENT:
                // An undefined alias is the composer's error to report; count it as one plain node here.
                let target = anchorName(event.data.alias.anchor).flatMap { anchors[$0] } ?? (Size(nodes: 1, height: 1, bytes: 0), true)
                try checkKey(scalar: target.scalar, line: line)
                try add(target.size)
            case YAML_SEQUENCE_START_EVENT:
                try start(anchorName(event.data.sequence_start.anchor), mapping: false, line: line)
            case YAML_MAPPING_START_EVENT:
                try start(anchorName(event.data.mapping_start.anchor), mapping: true, line: line)
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                let finished = open.removeLast()
                if let name = finished.anchor { anchors[name] = (finished.size, false) }
                try add(finished.size)
            case YAML_DOCUMENT_END_EVENT, YAML_STREAM_END_EVENT:
                return
            default:
                break
            }
        }
    }
}
