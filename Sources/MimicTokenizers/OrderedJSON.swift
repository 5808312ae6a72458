// OrderedJSON: a JSON value whose object keys keep the order they were given, written as UTF-8 with two-space
// indentation (the layout `tokenizers` writes), for files people diff and read.
import Foundation
import MimicCore

/// A JSON value with ordered object keys.
enum OrderedJSON {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([OrderedJSON])
    case object([(String, OrderedJSON)])
    /// An array written on one line (`["Ġ", "t"]`, `[0, 24]`).
    case inlineArray([OrderedJSON])

    /// The value as UTF-8 text ending in a newline.
    var data: Data {
        var out: [UInt8] = []
        write(into: &out, indent: 0)
        out.append(0x0A)
        return Data(out)
    }

    private func write(into out: inout [UInt8], indent: Int) {
        switch self {
        case .null: out.append(contentsOf: Array("null".utf8))
        case .bool(let b): out.append(contentsOf: Array((b ? "true" : "false").utf8))
        case .int(let i): out.append(contentsOf: Array(String(i).utf8))
        case .string(let s): Self.appendString(s, to: &out)
        case .inlineArray(let items):
            out.append(UInt8(ascii: "["))
            for (k, item) in items.enumerated() {
                if k > 0 { out.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " ")]) }
                item.write(into: &out, indent: indent)
            }
            out.append(UInt8(ascii: "]"))
        case .array(let items):
            writeContainer(items.map { (nil, $0) }, open: "[", close: "]", into: &out, indent: indent)
        case .object(let members):
            writeContainer(members.map { (Optional($0.0), $0.1) }, open: "{", close: "}", into: &out, indent: indent)
        }
    }

    private func writeContainer(_ items: [(String?, OrderedJSON)], open: Character, close: Character,
                                into out: inout [UInt8], indent: Int) {
        out.append(open.asciiValue!)
        guard !items.isEmpty else {
            out.append(close.asciiValue!)
            return
        }
        for (k, (key, value)) in items.enumerated() {
            out.append(contentsOf: k == 0 ? [0x0A] : [UInt8(ascii: ","), 0x0A])
            out.append(contentsOf: [UInt8](repeating: 0x20, count: indent + 2))
            if let key {
                Self.appendString(key, to: &out)
                out.append(contentsOf: [UInt8(ascii: ":"), 0x20])
            }
            value.write(into: &out, indent: indent + 2)
        }
        out.append(0x0A)
        out.append(contentsOf: [UInt8](repeating: 0x20, count: indent))
        out.append(close.asciiValue!)
    }

    /// Appends `s` as a JSON string: quotes, backslashes and control characters escaped, the rest as UTF-8.
    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: Array(#"\""#.utf8))
            case UInt8(ascii: "\\"): out.append(contentsOf: Array(#"\\"#.utf8))
            case 0x0A: out.append(contentsOf: Array(#"\n"#.utf8))
            case 0x0D: out.append(contentsOf: Array(#"\r"#.utf8))
            case 0x09: out.append(contentsOf: Array(#"\t"#.utf8))
            case 0..<0x20: out.append(contentsOf: Array(String(format: "\\u%04x", Int(byte)).utf8))
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
