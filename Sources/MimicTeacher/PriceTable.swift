// What teacher tokens cost: US dollars per million input and output tokens per model, from a built-in table of
// common OpenAI models or a JSON file the user edits; dated model names match their family by prefix.
import Foundation
import MimicCore

/// The price of one model in US dollars per one million tokens.
public struct ModelPrice: Codable, Sendable, Hashable {
    /// Dollars per 1M prompt (input) tokens.
    public var input: Double
    /// Dollars per 1M completion (output) tokens.
    public var output: Double

    public init(input: Double, output: Double) { (self.input, self.output) = (input, output) }

    /// The cost of `promptTokens` in and `completionTokens` out, times `discount` (0.5 for the Batch API).
    public func cost(promptTokens: Int, completionTokens: Int, discount: Double = 1) -> Double {
        (Double(promptTokens) * input + Double(completionTokens) * output) / 1_000_000 * discount
    }
}

/// How a model name was found in a `PriceTable`.
public enum PriceMatch: Sendable, Hashable {
    /// Priced by the table entry `entry` (the name itself or the family it starts with).
    case priced(entry: String, ModelPrice)
    /// A local model (`local:*`): free.
    case local
    /// Not in the table: counted as free, and the caller should warn once that its cost is unknown.
    case unknown

    /// The price to bill with: zero for local and unknown models.
    public var price: ModelPrice {
        if case .priced(_, let price) = self { return price }
        return ModelPrice(input: 0, output: 0)
    }
}

/// A price file could not be read or holds something that is not a price.
public enum PriceTableError: Error, LocalizedError, Sendable, Hashable {
    case unreadable(path: String, reason: String)
    case malformed(path: String, reason: String)
    case badEntry(path: String, model: String, reason: String)

    public var errorDescription: String? {
        let example = #"(expected {"gpt-4o-mini": {"input": 0.15, "output": 0.60}, …}, dollars per 1M tokens)"#
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read the price file \(path): \(reason)"
        case .malformed(let path, let reason):
            return "price file \(path) is not a price table: \(reason) \(example)"
        case .badEntry(let path, let model, let reason):
            return "price file \(path), model \"\(model)\": \(reason) \(example)"
        }
    }
}

/// Prices per model. Names match exactly or by prefix at a `-` (so `gpt-4o-mini-2024-07-18` is priced as
/// `gpt-4o-mini`, the longest entry it starts with); `local:*` models are free; other models are `unknown`.
public struct PriceTable: Sendable, Hashable {
    /// Model name (or family prefix) to price.
    public var prices: [String: ModelPrice]

    public init(prices: [String: ModelPrice]) { self.prices = prices }

    /// OpenAI list prices (standard tier, USD per 1M tokens) as of writing (2025). They change: write them to a
    /// file with `writeDefault(to:)` (or `mimic ledger --write-prices FILE`), edit, and pass the file back.
    public static let defaultPrices: [String: ModelPrice] = [
        "gpt-3.5-turbo": ModelPrice(input: 0.50, output: 1.50),
        "gpt-4-turbo": ModelPrice(input: 10, output: 30),
        "gpt-4": ModelPrice(input: 30, output: 60),
        "gpt-4o": ModelPrice(input: 2.50, output: 10),
        "gpt-4o-mini": ModelPrice(input: 0.15, output: 0.60),
        "gpt-4.1": ModelPrice(input: 2, output: 8),
        "gpt-4.1-mini": ModelPrice(input: 0.40, output: 1.60),
        "gpt-4.1-nano": ModelPrice(input: 0.10, output: 0.40),
    ]

    /// The built-in table.
    public static let `default` = PriceTable(prices: defaultPrices)

    /// How `model` is priced.
    public func match(_ model: String) -> PriceMatch {
        if model.hasPrefix("local:") { return .local }
        if let exact = prices[model] { return .priced(entry: model, exact) }
        let family = prices.keys.filter { model.hasPrefix($0 + "-") }.max { $0.count < $1.count }
        if let family, let price = prices[family] { return .priced(entry: family, price) }
        return .unknown
    }

    /// The cost of one request to `model` (zero when the model is local or unknown).
    public func cost(model: String, promptTokens: Int, completionTokens: Int, discount: Double = 1) -> Double {
        match(model).price.cost(promptTokens: promptTokens, completionTokens: completionTokens, discount: discount)
    }

    /// The built-in table with the entries of the JSON file at `path` added over it (a file entry replaces the
    /// built-in one of the same name). Keys starting with `_` are comments and are skipped.
    public static func load(from path: String, overDefaults: Bool = true) throws -> PriceTable {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PriceTableError.unreadable(path: path, reason: error.localizedDescription)
        }
        var table = overDefaults ? PriceTable.default : PriceTable(prices: [:])
        for (model, price) in try parse(data, path: path) { table.prices[model] = price }
        return table
    }

    /// Parses a price file's bytes; `path` only names the file in errors.
    public static func parse(_ data: Data, path: String) throws -> [String: ModelPrice] {
        let top: [String: PriceJSON]
        do {
            top = try JSONDecoder().decode([String: PriceJSON].self, from: data)
        } catch {
            let valid = (try? JSONSerialization.jsonObject(with: data)) != nil
            throw PriceTableError.malformed(path: path, reason: valid ? "the top level must be an object of model names"
                                                                      : "not valid JSON")
        }
        var prices: [String: ModelPrice] = [:]
        for (model, value) in top where !model.hasPrefix("_") {
            guard case .object(let entry) = value else {
                throw PriceTableError.badEntry(path: path, model: model, reason: "must be an object with input and output")
            }
            if let extra = entry.keys.sorted().first(where: { $0 != "input" && $0 != "output" && !$0.hasPrefix("_") }) {
                throw PriceTableError.badEntry(path: path, model: model, reason: "unknown field \"\(extra)\"")
            }
            prices[model] = ModelPrice(input: try number(entry, "input", model: model, path: path),
                                       output: try number(entry, "output", model: model, path: path))
        }
        return prices
    }

    private static func number(_ entry: [String: PriceJSON], _ field: String, model: String, path: String) throws -> Double {
        guard let raw = entry[field] else {
            throw PriceTableError.badEntry(path: path, model: model, reason: "missing \"\(field)\"")
        }
        guard case .number(let value) = raw, value.isFinite, value >= 0 else {
            throw PriceTableError.badEntry(path: path, model: model, reason: "\"\(field)\" must be a non-negative number")
        }
        return value
    }

    /// Writes this table as JSON (sorted, with a note on units) to `path`, atomically.
    public func write(to path: String) throws {
        var object: [String: Any] = ["_note": "US dollars per 1M tokens; list prices as of writing, edit freely"]
        for (model, price) in prices { object[model] = ["input": price.input, "output": price.output] }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(data + Data("\n".utf8), to: path)
    }

    /// Writes the built-in table to `path` for the user to edit.
    public static func writeDefault(to path: String) throws { try PriceTable.default.write(to: path) }
}

/// Any JSON value, decoded strictly (a boolean is not a number).
enum PriceJSON: Decodable {
    case number(Double), string(String), bool(Bool), null, array([PriceJSON]), object([String: PriceJSON])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let d = try? c.decode(Double.self) { self = .number(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([PriceJSON].self) { self = .array(a); return }
        self = .object(try c.decode([String: PriceJSON].self))
    }
}
