// YAML from files that may be hostile (task files, study manifests, judge prompts, config files): aliases are YAML
// and stay allowed, but a document whose aliases expand to more nodes than any real file has (the "billion laughs"
// bomb: a few lines that grow to billions of values when built) or that nests deeper than any real file is refused
// before anything is built from it. Composing is linear (an alias is the anchored node, shared); the expansion is
// counted with a budget, so the check itself stays cheap.
import Foundation
import Yams

public enum YAMLGuard {
    /// The most nodes a document may expand to, aliases followed.
    public static let maxNodes = 200_000
    /// The deepest nesting allowed.
    public static let maxDepth = 64

    /// Why a document was refused.
    public struct TooLarge: Error, LocalizedError, Equatable {
        public var problem: String
        public var errorDescription: String? { problem }
    }

    /// The first document's node tree, checked.
    public static func compose(_ text: String) throws -> Node? {
        guard let node = try Yams.compose(yaml: text) else { return nil }
        try check(node)
        return node
    }

    /// The first document as Swift values (`Yams.load`), checked before they are built.
    public static func load(_ text: String) throws -> Any? { try compose(text)?.any }

    /// Throws `TooLarge` when `node` expands past `maxNodes` or nests past `maxDepth`.
    public static func check(_ node: Node) throws {
        var budget = maxNodes
        func walk(_ node: Node, depth: Int) throws {
            budget -= 1
            guard budget >= 0 else {
                throw TooLarge(problem: "expands to more than \(maxNodes) values (aliases repeated inside aliases?); a real file is far smaller")
            }
            guard depth <= maxDepth else { throw TooLarge(problem: "nests deeper than \(maxDepth) levels") }
            switch node {
            case .scalar: break
            case .alias: break
            case .sequence(let items): for item in items { try walk(item, depth: depth + 1) }
            case .mapping(let pairs):
                for (key, value) in pairs {
                    try walk(key, depth: depth + 1)
                    try walk(value, depth: depth + 1)
                }
            }
        }
        try walk(node, depth: 0)
    }
}
