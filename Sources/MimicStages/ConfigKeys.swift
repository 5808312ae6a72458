// The keys of a configuration type, nil optionals included: an Encoder that records every key a value encodes
// (or would encode if it were set), so a config file's keys are matched to the struct's, unknown ones are caught,
// and the environment can be mapped.
import Foundation
import MimicCore

/// The key paths of an `Encodable` value as its coding keys spell them (`client.maxAttempts`), nil optionals included.
struct ConfigKeys {
    /// Every key path, dotted.
    let paths: Set<String>
    /// For a parent path ("" for the top), its children by their snake_case spelling.
    let children: [String: [String: String]]

    init<T: Encodable>(of value: T) {
        let box = KeyBox()
        try? value.encode(to: KeyRecorder(box: box, path: []))
        paths = box.paths
        var children: [String: [String: String]] = [:]
        for path in paths {
            let parts = path.split(separator: ".").map(String.init)
            let parent = parts.dropLast().joined(separator: ".")
            let child = parts.last ?? ""
            children[parent, default: [:]][ConfigError.snakeCase(child)] = child
        }
        self.children = children
    }

    /// The struct's key for `key` (written either way) under `parent`, nil when there is none.
    func key(_ key: String, under parent: String) -> String? {
        children[parent]?[ConfigError.snakeCase(key)]
    }

    /// Whether `path` has keys below it (a nested struct, not a dictionary of the user's own keys).
    func hasChildren(_ path: String) -> Bool { children[path] != nil }

    /// `a.bC` → `a.b_c`.
    static func snake(_ path: String) -> String {
        path.split(separator: ".").map { ConfigError.snakeCase(String($0)) }.joined(separator: ".")
    }
}

private final class KeyBox {
    var paths = Set<String>()
}

private struct KeyRecorder: Encoder {
    let box: KeyBox
    let path: [String]
    var codingPath: [CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedRecorder<Key>(box: box, path: path))
    }
    func unkeyedContainer() -> UnkeyedEncodingContainer { NullUnkeyed() }
    func singleValueContainer() -> SingleValueEncodingContainer { NullSingle() }
}

private struct KeyedRecorder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: KeyBox
    let path: [String]
    var codingPath: [CodingKey] { [] }

    private func record(_ key: Key) -> [String] {
        let p = path + [key.stringValue]
        box.paths.insert(p.joined(separator: "."))
        return p
    }
    mutating func encodeNil(forKey key: Key) throws { _ = record(key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        let p = record(key)
        // Dictionaries hold the user's keys, not config keys: record the field only.
        if value is [String: Any] { return }
        try? value.encode(to: KeyRecorder(box: box, path: p))
    }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { _ = record(key) }
    }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { _ = record(key) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { _ = record(key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { _ = record(key) }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { _ = record(key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { _ = record(key) }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { _ = record(key) }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { _ = record(key) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { _ = record(key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { _ = record(key) }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { _ = record(key) }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { _ = record(key) }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { _ = record(key) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { _ = record(key) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { _ = record(key) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(KeyedRecorder<NestedKey>(box: box, path: record(key)))
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer { _ = record(key); return NullUnkeyed() }
    mutating func superEncoder() -> Encoder { KeyRecorder(box: box, path: path) }
    mutating func superEncoder(forKey key: Key) -> Encoder { KeyRecorder(box: box, path: record(key)) }
}

/// Lists and scalars hold no config keys: everything they are given is dropped.
private struct NullUnkeyed: UnkeyedEncodingContainer {
    var codingPath: [CodingKey] { [] }
    var count: Int { 0 }
    mutating func encodeNil() throws {}
    mutating func encode<T: Encodable>(_ value: T) throws {}
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(KeyedRecorder<NestedKey>(box: KeyBox(), path: []))
    }
    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer { NullUnkeyed() }
    mutating func superEncoder() -> Encoder { KeyRecorder(box: KeyBox(), path: []) }
}

private struct NullSingle: SingleValueEncodingContainer {
    var codingPath: [CodingKey] { [] }
    mutating func encodeNil() throws {}
    mutating func encode<T: Encodable>(_ value: T) throws {}
}
