// Resolving a stage's configuration: defaults, then a config file (`--config FILE.yaml`, the same keys as the
// struct), then the environment (`MIMIC_<COMMAND>_<KEY>`), then the command line; unknown keys are errors naming
// the key and line; the result is validated once.
import Foundation
import MimicCore
import Yams

/// Builds a stage's configuration from its layers.
public enum ConfigResolver {
    /// Defaults, overlaid by `file` (YAML or JSON; a written summary's `config` member is accepted too), by the
    /// environment variables `PREFIX_KEY` (`MIMIC_TRAIN_BLOCK_SIZE=256`; nested keys joined by `_`), then by
    /// `commandLine`, which sets what the user gave on the command line; then `validate()`.
    public static func resolve<C: StageConfig>(
        _ defaults: C, file: String?, environmentPrefix: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        commandLine: (inout C) throws -> Void = { _ in }
    ) throws -> C {
        let known = ConfigKeys.paths(of: defaults)
        var tree = try toTree(defaults)
        if let file {
            let (fileTree, lines) = try readFile(file)
            try checkKeys(fileTree, path: [], known: known, file: file, lines: lines)
            tree = merge(tree, fileTree)
        }
        for path in known.sorted() {
            let name = environmentPrefix + "_" + path.replacingOccurrences(of: ".", with: "_").uppercased()
            guard let text = environment[name] else { continue }
            // A scalar or a list as YAML reads it (`8`, `true`, `[a, b]`); anything else is the text itself.
            var value = JSONValue.string(text)
            if let node = try? Yams.compose(yaml: text), node.mapping == nil { value = jsonValue(node) }
            tree = set(tree, path: path.split(separator: ".").map(String.init), value: value)
        }
        var config: C
        do {
            config = try decoder().decode(C.self, from: JSONEncoder().encode(tree))
        } catch {
            throw describe(error, file: file)
        }
        try commandLine(&config)
        try config.validate()
        return config
    }

    /// The config as written beside an output: JSON with snake_case keys, loadable again by `--config`.
    public static func encoded<C: Encodable>(_ config: C) throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(config) + Data("\n".utf8)
    }

    /// Writes the resolved config to `path` atomically.
    public static func write<C: Encodable>(_ config: C, to path: String) throws {
        try AtomicFile.write(encoded(config), to: path)
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }

    static func toTree<C: Encodable>(_ value: C) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try JSONDecoder().decode(JSONValue.self, from: encoder.encode(value))
    }

    /// The file's tree (a summary's `config` member when the file is one) and the line of each key path.
    static func readFile(_ path: String) throws -> (JSONValue, [String: Int]) {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw RecordFileError.unreadable(file: path, reason: error.localizedDescription)
        }
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw RecordFileError.badFormat(file: path, problem: "not valid YAML or JSON: \(error)")
        }
        guard let node, case .mapping = node else {
            throw RecordFileError.badFormat(file: path, problem: "a config file is a mapping of keys to values (see --help for the keys)")
        }
        var lines: [String: Int] = [:]
        collectLines(node, path: [], into: &lines)
        var tree = jsonValue(node)
        if case .object(let top) = tree, case .object(let inner)? = top["config"], top.count > 1 {
            tree = .object(inner)
            lines = lines.reduce(into: [:]) { out, entry in
                if entry.key.hasPrefix("config.") { out[String(entry.key.dropFirst("config.".count))] = entry.value }
            }
        }
        return (tree, lines)
    }

    static func collectLines(_ node: Node, path: [String], into lines: inout [String: Int]) {
        guard case .mapping(let mapping) = node else { return }
        for (key, value) in mapping {
            let p = path + [ConfigKeys.snake(key.string ?? "")]
            lines[p.joined(separator: ".")] = (key.mark?.line).map { $0 }
            collectLines(value, path: p, into: &lines)
        }
    }

    static func jsonValue(_ node: Node) -> JSONValue {
        switch node {
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping { object[ConfigKeys.snake(key.string ?? "")] = jsonValue(value) }
            return .object(object)
        case .sequence(let sequence):
            return .array(sequence.map(jsonValue))
        default:
            if node.null != nil { return .null }
            if let b = node.bool { return .bool(b) }
            if let i = node.int { return .int(i) }
            if let d = node.float { return .double(d) }
            return .string(node.string ?? "")
        }
    }

    static func checkKeys(_ tree: JSONValue, path: [String], known: Set<String>, file: String, lines: [String: Int]) throws {
        guard case .object(let object) = tree else { return }
        for (key, value) in object {
            let p = (path + [key]).joined(separator: ".")
            guard known.contains(p) else {
                let siblings = known.filter { $0.split(separator: ".").count == path.count + 1 && $0.hasPrefix(path.map { $0 + "." }.joined()) }
                    .map { String($0.split(separator: ".").last ?? "") }.sorted()
                throw ConfigError(field: p, problem: "unknown key", hint: "known keys here: " + siblings.joined(separator: ", "),
                                  location: file + (lines[p].map { ":\($0)" } ?? ""))
            }
            // Keys under a dictionary field (task → path) are the user's own.
            if known.contains(where: { $0.hasPrefix(p + ".") }) {
                try checkKeys(value, path: path + [key], known: known, file: file, lines: lines)
            }
        }
    }

    static func merge(_ base: JSONValue, _ over: JSONValue) -> JSONValue {
        guard case .object(var a) = base, case .object(let b) = over else { return over }
        for (key, value) in b { a[key] = a[key].map { merge($0, value) } ?? value }
        return .object(a)
    }

    static func set(_ tree: JSONValue, path: [String], value: JSONValue) -> JSONValue {
        guard let first = path.first else { return value }
        var object: [String: JSONValue] = [:]
        if case .object(let o) = tree { object = o }
        object[first] = set(object[first] ?? .null, path: Array(path.dropFirst()), value: value)
        return .object(object)
    }

    /// A decoding error as a `ConfigError` naming the key.
    static func describe(_ error: Error, file: String?) -> Error {
        let field: String, problem: String
        switch error {
        case DecodingError.dataCorrupted(let c):
            field = keyPath(c.codingPath); problem = c.debugDescription
        case DecodingError.typeMismatch(let type, let c):
            field = keyPath(c.codingPath); problem = "expected \(typeName(type))"
        case DecodingError.valueNotFound(let type, let c):
            field = keyPath(c.codingPath); problem = "expected \(typeName(type)), found null"
        case DecodingError.keyNotFound(let key, let c):
            field = keyPath(c.codingPath + [key]); problem = "missing"
        default:
            return error
        }
        return ConfigError(field: field, problem: problem, location: file)
    }

    static func keyPath(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? "." + ConfigKeys.snake($0.stringValue) }.joined()
            .trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is UInt64.Type, is Int64.Type: return "a whole number"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        default: return "\(type)"
        }
    }
}
