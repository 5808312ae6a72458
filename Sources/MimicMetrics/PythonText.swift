// Python 3.11's str semantics where reference tools depend on them: str.lower(), the regex class \w, str.isspace(),
// str.split().
import Foundation

/// Python's string rules, scalar by scalar, so that a metric ported from Python splits and folds text as it does.
/// (Swift's `lowercased()` has no final-sigma rule, and Swift compares strings up to canonical equivalence, so
/// "café" written with U+00E9 equals "cafe\u{301}" in Swift but not in Python: compare `unicodeScalars` instead.)
package enum PythonText {
    /// Python's `str.lower()`: the full lowercase mapping of each scalar (U+0130 becomes "i\u{307}"), and U+03A3
    /// becomes final sigma U+03C2 when a cased letter precedes it and none follows (case-ignorable scalars skipped),
    /// as CPython's handle_capital_sigma decides.
    package static func lower(_ text: String) -> [Unicode.Scalar] {
        let scalars = Array(text.unicodeScalars)
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(scalars.count)
        for (i, s) in scalars.enumerated() {
            if s.value < 0x80 {
                out.append((0x41...0x5A).contains(s.value) ? Unicode.Scalar(UInt8(s.value + 32)) : s)
            } else if s.value == 0x3A3 {
                out.append(isFinalSigma(scalars, at: i) ? "\u{3C2}" : "\u{3C3}")
            } else {
                out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }

    /// `\p{cased}\p{case-ignorable}* U+03A3 !(\p{case-ignorable}* \p{cased})`, looked up in the original text.
    static func isFinalSigma(_ scalars: [Unicode.Scalar], at i: Int) -> Bool {
        var j = i - 1
        while j >= 0, scalars[j].properties.isCaseIgnorable { j -= 1 }
        guard j >= 0, scalars[j].properties.isCased else { return false }
        j = i + 1
        while j < scalars.count, scalars[j].properties.isCaseIgnorable { j += 1 }
        return j == scalars.count || !scalars[j].properties.isCased
    }

    /// Python's `\w` for str patterns: `str.isalnum()` or "_". isalnum is a letter (Lu, Ll, Lt, Lm, Lo) or a scalar
    /// with a numeric value (decimal, digit or numeric: Nd, Nl, No and numeric ideographs). Combining marks (Mn,
    /// Mc, Me) are not word characters, so "cafe\u{301}" holds the word "cafe" and nothing after it.
    package static func isWord(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 {
            let v = s.value
            return (0x30...0x39).contains(v) || (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v) || v == 0x5F
        }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return s.properties.numericType != nil
        }
    }

    /// Python's `str.isspace()` (what `str.split()` splits on): Unicode White_Space plus the information
    /// separators U+001C–U+001F, which Python counts as space by their bidirectional class.
    package static func isSpace(_ s: Unicode.Scalar) -> Bool {
        s.properties.isWhitespace || (0x1C...0x1F).contains(s.value)
    }

    /// Python's `str.split()` with no argument: the runs of text between runs of `isSpace` scalars.
    package static func split(_ text: String) -> [String] {
        var parts: [String] = [], current = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if isSpace(s) {
                if !current.isEmpty { parts.append(String(current)); current = String.UnicodeScalarView() }
            } else {
                current.append(s)
            }
        }
        if !current.isEmpty { parts.append(String(current)) }
        return parts
    }
}
