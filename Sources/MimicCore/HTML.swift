// Text placed in HTML: every page Mimic serves or writes (the study report, the rating app) shows model output, which
// is untrusted input, through this one escape.
import Foundation

/// Escaping text for HTML.
public enum HTML {
    /// `text` with `& < > " '` replaced by entities: safe as element content and inside a quoted attribute.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
