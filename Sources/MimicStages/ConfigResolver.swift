// Resolving a stage's configuration: defaults, then a config file (`--config FILE.yaml`, the same keys as the
// struct, snake_case or as Swift spells them), then the environment (`MIMIC_<COMMAND>_<KEY>`), then the command
// line; unknown keys are errors naming the key and line; the result is validated once.
import Foundation
import MimicCore
import MimicEval
import Yams

/// Builds a stage's configuration from its layers.
public enum ConfigResolver {
    /// Defaults, overlaid by `file` (YAML or JSON; a written summary's `config` member is accepted too), by the
    /// environment variables `PREFIX_KEY` (`MIMIC_TRAIN_BLOCK_SIZE=256`; nested keys joined by `_`), by `flags`,
    /// then by `commandLine`, which sets what the user gave on the command line; then `validate()`.
    ///
    /// `flags` is the command line's parsed options as an `Encodable` value whose members are named as the
    /// config's top-level keys: a member that is null (an option or a flag not given) is left out, an object that
    /// is not a config key (an option group) has its members read at the top, and a member that is neither a
    /// config key nor in `except` is an error (a flag the config cannot take is a bug, caught on every run).
    public static func resolve<C: StageConfig>(
        _ defaults: C, file: String?, environmentPrefix: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        flags: (any Encodable)? = nil, except: Set<String> = [],
        commandLine: (inout C) throws -> Void = { _ in }
    ) throws -> C {
        let keys = ConfigKeys(of: defaults)
        var tree = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(defaults))
        if let file {
            let (raw, lines) = try readFile(file)
            let given = try normalize(raw, parent: "", rawParent: "", keys: keys, file: file, lines: lines)
            tree = merge(tree, given)
        }
        for path in keys.paths.sorted() where !keys.hasChildren(path) {
            let name = environmentPrefix + "_" + ConfigKeys.snake(path).replacingOccurrences(of: ".", with: "_").uppercased()
            guard let text = environment[name] else { continue }
            // A scalar or a list as YAML reads it (`8`, `true`, `[a, b]`); anything else is the text itself.
            var value = JSONValue.string(text)
            if let node = try? YAMLGuard.compose(text), node.mapping == nil { value = jsonValue(node) }
            tree = set(tree, path: path.split(separator: ".").map(String.init), value: value)
        }
        if let flags { tree = merge(tree, try flagTree(flags, keys: keys, except: except)) }
        var config: C
        do {
            config = try JSONDecoder().decode(C.self, from: JSONEncoder().encode(tree))
        } catch let error as DecodingError {
            throw ConfigError(error, location: file)
        }
        try commandLine(&config)
        try config.validate()
        return config
    }

    /// `defaults` overlaid by one section of a larger file (a study manifest's `data[0].collect`): `tree` as read
    /// from `file` at key path `at`, whose lines `lines` gives. Unknown keys and keys in `reserved` (those the
    /// caller sets itself) are errors naming the whole key path and its line; not validated (the caller does, once
    /// it has set its own keys).
    public static func resolve<C: Codable>(_ defaults: C, section tree: JSONValue, at: String, file: String,
                                               lines: [String: Int], reserved: Set<String> = []) throws -> C {
        if case .object(let object) = tree {
            for key in object.keys.sorted() where reserved.contains(ConfigError.snakeCase(key)) {
                throw ConfigError(field: at + "." + key, problem: "is set by the study", hint: "leave it out",
                                  location: location(of: at + "." + key, file: file, lines: lines))
            }
        } else if tree != .null {
            throw ConfigError(field: at, problem: "is not a mapping", hint: "give the section's keys",
                              location: location(of: at, file: file, lines: lines))
        }
        let keys = ConfigKeys(of: defaults)
        let given = try normalize(tree == .null ? .object([:]) : tree, parent: "", rawParent: at, keys: keys, file: file, lines: lines)
        let merged = merge(try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(defaults)), given)
        do {
            return try JSONDecoder().decode(C.self, from: JSONEncoder().encode(merged))
        } catch let error as DecodingError {
            var e = ConfigError(error, location: nil)
            e.field = e.field.isEmpty ? at : at + "." + e.field
            e.location = location(of: e.field, file: file, lines: lines)
            throw e
        }
    }

    /// `file:LINE` of key path `path` (`data[0].collect.count`), or of the nearest key above it that has a line.
    public static func location(of path: String, file: String, lines: [String: Int]) -> String {
        var p = path
        while !p.isEmpty {
            if let line = lines[p] { return "\(file):\(line)" }
            guard let cut = p.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            p = String(p[..<cut])
        }
        return file
    }

    /// A YAML or JSON file's tree and the line of each key path (sequence items as `[i]`), as written.
    public static func readTree(_ path: String) throws -> (JSONValue, [String: Int]) {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw RecordFileError.unreadable(file: path, reason: error.localizedDescription)
        }
        let node: Node?
        do { node = try YAMLGuard.compose(text) } catch {
            throw RecordFileError.badFormat(file: path, problem: "not valid YAML or JSON: \(error)")
        }
        guard let node, case .mapping = node else {
            throw RecordFileError.badFormat(file: path, problem: "the file is a mapping of keys to values")
        }
        var lines: [String: Int] = [:]
        collectLines(node, path: "", into: &lines)
        return (jsonValue(node), lines)
    }

    /// The config as written beside an output: JSON with snake_case keys, loadable again by `--config`.
    public static func encoded<C: Encodable>(_ config: C) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let keys = ConfigKeys(of: config)
        let tree = snakeKeys(try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(config)), path: "", keys: keys)
        return try encoder.encode(tree) + Data("\n".utf8)
    }

    /// Writes the resolved config to `path` atomically.
    public static func write<C: Encodable>(_ config: C, to path: String) throws {
        try AtomicFile.write(encoded(config), to: path)
    }

    /// The tree with the struct's keys in snake_case (a dictionary field's own keys as they are).
    static func snakeKeys(_ tree: JSONValue, path: String, keys: ConfigKeys) -> JSONValue {
        guard case .object(let object) = tree, keys.hasChildren(path) else { return tree }
        var out: [String: JSONValue] = [:]
        for (key, value) in object {
            let child = path.isEmpty ? key : path + "." + key
            out[ConfigError.snakeCase(key)] = snakeKeys(value, path: child, keys: keys)
        }
        return .object(out)
    }

    /// The file's tree (a summary's `config` member when the file is one) and the line of each key path as written.
    static func readFile(_ path: String) throws -> (JSONValue, [String: Int]) {
        var (tree, lines) = try readTree(path)
        if case .object(let top) = tree, case .object(let inner)? = top["config"], top.count > 1 {
            tree = .object(inner)
            lines = lines.reduce(into: [:]) { out, entry in
                if entry.key.hasPrefix("config.") { out[String(entry.key.dropFirst("config.".count))] = entry.value }
            }
        }
        return (tree, lines)
    }

    static func collectLines(_ node: Node, path: String, into lines: inout [String: Int]) {
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping {
                let p = path.isEmpty ? (key.string ?? "") : path + "." + (key.string ?? "")
                lines[p] = key.mark?.line
                collectLines(value, path: p, into: &lines)
            }
        case .sequence(let sequence):
            for (i, item) in sequence.enumerated() {
                let p = path + "[\(i)]"
                lines[p] = item.mark?.line
                collectLines(item, path: p, into: &lines)
            }
        default: break
        }
    }

    static func jsonValue(_ node: Node) -> JSONValue {
        switch node {
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping { object[key.string ?? ""] = jsonValue(value) }
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

    /// The file's tree with its keys spelled as the struct's; an unknown key is a `ConfigError` naming it, its line
    /// and the keys known beside it.
    static func normalize(_ tree: JSONValue, parent: String, rawParent: String, keys: ConfigKeys, file: String,
                          lines: [String: Int]) throws -> JSONValue {
        guard case .object(let object) = tree, keys.hasChildren(parent) else { return tree }
        var out: [String: JSONValue] = [:]
        for (raw, value) in object {
            let rawPath = rawParent.isEmpty ? raw : rawParent + "." + raw
            guard let key = keys.key(raw, under: parent) else {
                let known = (keys.children[parent] ?? [:]).keys.sorted().joined(separator: ", ")
                throw ConfigError(field: ConfigKeys.snake(rawPath), problem: "unknown key", hint: "known keys here: " + known,
                                  location: file + (lines[rawPath].map { ":\($0)" } ?? ""))
            }
            let path = parent.isEmpty ? key : parent + "." + key
            out[key] = try normalize(value, parent: path, rawParent: rawPath, keys: keys, file: file, lines: lines)
        }
        return .object(out)
    }

    /// The options given on the command line, keyed as the config's top-level keys (see `resolve`).
    static func flagTree(_ flags: any Encodable, keys: ConfigKeys, except: Set<String>) throws -> JSONValue {
        var out: [String: JSONValue] = [:]
        func add(_ object: [String: JSONValue]) throws {
            for (name, value) in object where !except.contains(name) {
                if let key = keys.key(name, under: "") {
                    // Not given: a null (an optional option, a plain flag) or an empty list (a repeatable option,
                    // which the command line cannot set to an empty list).
                    if case .null = value { continue }
                    if case .array(let items) = value, items.isEmpty { continue }
                    out[key] = value
                } else if case .object(let group) = value {
                    try add(group)
                } else {
                    throw ConfigError(field: name, problem: "is an option the configuration has no key for",
                                      hint: "a bug in the command: name the option as the config's key or except it")
                }
            }
        }
        if case .object(let object) = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(flags)) {
            try add(object)
        }
        return .object(out)
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
}
