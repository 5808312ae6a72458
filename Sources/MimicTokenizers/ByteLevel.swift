// GPT-2's byte-to-unicode mapping and the character classes that byte-level pre-tokenizers test.
import MimicCore

/// GPT-2's reversible map between the 256 byte values and printable Unicode characters.
///
/// Printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for themselves; the other 68 bytes are given
/// the characters U+0100, U+0101, … in byte order (so the space 0x20 is `Ġ`, U+0120, and `\n` is `Ċ`).
/// Vocabulary entries of byte-level BPE files are written with these characters.
public enum ByteLevel {
    /// The character each byte value is written as.
    public static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte)
                || (0xAE...0xFF).contains(byte)
            let value = printable ? UInt32(byte) : next
            if !printable { next += 1 }
            table[byte] = Unicode.Scalar(value) ?? " "
        }
        return table
    }()

    /// The byte a character stands for, or nil for characters outside the map.
    public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 256 {
            let printable = (0x21...0x7E).contains(value) || (0xA1...0xAC).contains(value)
                || (0xAE...0xFF).contains(value)
            return printable ? UInt8(value) : nil
        }
        return value < 256 + 68 ? scalarToByte[Int(value - 256)] : nil
    }

    /// Bytes U+0100 + k stands for, by k.
    private static let scalarToByte: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 68)
        for byte in 0..<256 where byteToScalar[byte].value >= 256 {
            table[Int(byteToScalar[byte].value - 256)] = UInt8(byte)
        }
        return table
    }()

    /// Writes bytes the way a byte-level vocabulary does (`" the"` → `"Ġthe"`).
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(byteToScalar[Int(byte)]) }
        return String(scalars)
    }

    /// Reads a byte-level vocabulary entry back to bytes; nil when a character is outside the map.
    public static func decode(_ token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = byte(for: scalar) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}

/// Character classes as bits, as the pre-tokenizer regexes see them (`\p{L}`, `\p{N}`, `\s`, `\p{P}`).
///
/// `inRange` is set for every real character so that 0 can mean "past the end of the piece".
struct CharClass {
    static let letter: UInt8 = 1
    static let number: UInt8 = 2
    static let space: UInt8 = 4
    static let punctuation: UInt8 = 8
    static let inRange: UInt8 = 0x80

    /// Classes for ASCII, by value.
    private static let ascii: [UInt8] = (0..<128).map { classify(slow: Unicode.Scalar(UInt8($0))) }

    /// The class bits of one character (Unicode general category; whitespace is the White_Space property).
    @inline(__always)
    static func of(_ scalar: Unicode.Scalar) -> UInt8 {
        scalar.value < 128 ? ascii[Int(scalar.value)] : classify(slow: scalar)
    }

    private static func classify(slow scalar: Unicode.Scalar) -> UInt8 {
        let properties = scalar.properties
        if properties.isWhitespace { return space | inRange }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return letter | inRange
        case .decimalNumber, .letterNumber, .otherNumber:
            return number | inRange
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return punctuation | inRange
        default:
            return inRange
        }
    }

    /// True for a real character that is not a letter, number or whitespace (`[^\s\p{L}\p{N}]`).
    @inline(__always)
    static func isOther(_ bits: UInt8) -> Bool { bits & inRange != 0 && bits & (letter | number | space) == 0 }
}
