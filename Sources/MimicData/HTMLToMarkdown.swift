// HTMLToMarkdown: a small converter for the HTML found in ShareGPT message text (<p>, <pre><code>, lists,
// emphasis, headings, links, tables, entities); text without recognised tags is returned unchanged.
import Foundation
import MimicCore

/// Converts the HTML of scraped chat text to Markdown. Only the tags below are recognised; anything else
/// that looks like a tag (`<T>` in a generic type, `a < b`) is kept as text.
/// - `p`, `div`, `blockquote`: paragraph breaks; `br`: a line break; `hr`: `---`; `h1`…`h6`: `#` headings;
/// - `strong`/`b`: `**…**`; `em`/`i`: `*…*`; `code` outside `pre`: `` `…` ``; `a href`: `[text](href)`;
/// - `ul`/`ol`/`li`: `- ` or `1. ` items, nested lists indented two spaces a level;
/// - `pre`: a fenced block whose language comes from a `language-X` class of its `code`; text inside `pre`
///   before its `code` (ShareGPT's "pythonCopy code" header) is dropped, and `button` contents are dropped;
/// - `table`/`tr`/`th`/`td`: a Markdown table (a separator line after a header row);
/// - `span`, `thead`, `tbody`, `svg`, `path`: removed, their text kept.
/// Entities (`&lt;`, `&amp;`, `&#39;`, `&#x27;`, `&nbsp;`, …) are decoded. Outside `pre`, runs of white space
/// collapse to one space (HTML's rule) only when the text is HTML: it opens with a recognised tag and has block
/// tags; mixed Markdown-and-HTML text keeps its line breaks. Text between Markdown ``` fences, tags inside
/// `backticks`, Markdown table rows (lines opening with `|`), and text with JSX-looking tags (`className`, `{…}` attributes) are never touched.
public enum HTMLToMarkdown {
    static let known: Set<String> = ["p", "div", "blockquote", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong",
                                     "b", "em", "i", "code", "a", "ul", "ol", "li", "pre", "table", "tr", "th", "td",
                                     "span", "thead", "tbody", "button", "svg", "path"]
    static let blockTags: Set<String> = ["p", "div", "blockquote", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4",
                                         "h5", "h6", "table", "tr", "br", "hr"]

    /// A parsed tag.
    struct Tag {
        var name: String
        var closing: Bool
        var attributes: String
        var length: Int
    }

    /// The Markdown form of `text`, or `text` itself when it holds no recognised tag. Markdown code already in
    /// the text (``` fences and `inline` spans) is left as it is: tags there are code, not markup.
    public static func convert(_ text: String) -> String {
        guard text.contains("```") || text.contains("|") else { return convertSegment(text) }
        var out: [String] = []
        var outside: [Substring] = [], inside: [Substring] = []
        var inFence = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let fence = line.trimmingCharacters(in: .whitespaces).hasPrefix("```")
            if inFence {
                inside.append(line)
                if fence {
                    out.append(inside.joined(separator: "\n"))
                    inside = []
                    inFence = false
                }
            } else if line.trimmingCharacters(in: .whitespaces).hasPrefix("|") {
                // A Markdown table row: `<br>` is how its cells break lines; leave it.
                if !outside.isEmpty { out.append(convertSegment(outside.joined(separator: "\n"))) }
                outside = []
                out.append(String(line))
            } else if fence {
                if !outside.isEmpty { out.append(convertSegment(outside.joined(separator: "\n"))) }
                outside = []
                inside = [line]
                inFence = true
            } else {
                outside.append(line)
            }
        }
        if !outside.isEmpty { out.append(convertSegment(outside.joined(separator: "\n"))) }
        if !inside.isEmpty { out.append(inside.joined(separator: "\n")) }
        return out.joined(separator: "\n")
    }

    /// Converts text without fences; tags inside `inline code` spans are kept as text.
    static func convertSegment(_ text: String) -> String {
        let chars = Array(text.unicodeScalars)
        var tags = 0, blocks = 0
        var i = 0
        var inCode = false
        while i < chars.count {
            if chars[i] == "`" { inCode.toggle() }
            if !inCode, chars[i] == "<", let tag = parseTag(chars, at: i) {
                if tag.attributes.contains("{") || tag.attributes.contains("className") { return text }  // JSX: code
                tags += 1
                if blockTags.contains(tag.name) { blocks += 1 }
                i += tag.length
            } else {
                i += 1
            }
        }
        guard tags > 0 else { return text }
        let first = chars.firstIndex { !$0.properties.isWhitespace }
        let startsWithTag = first.map { chars[$0] == "<" && parseTag(chars, at: $0) != nil } ?? false
        var writer = MarkdownWriter(collapse: blocks > 0 && startsWithTag)
        i = 0
        inCode = false
        var textStart = 0
        while i < chars.count {
            if chars[i] == "`" { inCode.toggle() }
            if !inCode, chars[i] == "<", let tag = parseTag(chars, at: i) {
                writer.text(String(String.UnicodeScalarView(chars[textStart..<i])))
                writer.tag(tag)
                i += tag.length
                textStart = i
            } else {
                i += 1
            }
        }
        writer.text(String(String.UnicodeScalarView(chars[textStart..<chars.count])))
        // Keep the segment's own leading and trailing white space (the converted text itself is trimmed).
        let leading = text.prefix { $0.isWhitespace }, trailing = String(text.reversed().prefix { $0.isWhitespace }.reversed())
        return leading.count == text.count ? text : leading + writer.finish() + trailing
    }

    /// The recognised tag starting at `chars[start]` ("<"), or nil.
    static func parseTag(_ chars: [Unicode.Scalar], at start: Int) -> Tag? {
        var i = start + 1
        var closing = false
        if i < chars.count && chars[i] == "/" { closing = true; i += 1 }
        var name = ""
        while i < chars.count, chars[i].properties.isAlphabetic || ("0"..."9").contains(chars[i]) {
            name.unicodeScalars.append(chars[i])
            i += 1
            if name.count > 10 { return nil }
        }
        name = name.lowercased()
        guard known.contains(name), i < chars.count else { return nil }
        guard chars[i] == ">" || chars[i] == "/" || chars[i].properties.isWhitespace else { return nil }
        let attrStart = i
        var quote: Unicode.Scalar?
        while i < chars.count {
            let c = chars[i]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == ">" {
                let attributes = String(String.UnicodeScalarView(chars[attrStart..<i]))
                return Tag(name: name, closing: closing, attributes: attributes, length: i + 1 - start)
            } else if c == "<" || c == "\n" && i - attrStart > 2000 {
                return nil
            }
            i += 1
        }
        return nil
    }

    /// The value of attribute `name` in a tag's attribute text.
    static func attribute(_ name: String, in attributes: String) -> String? {
        guard let re = try? NSRegularExpression(pattern: "\\b\(name)\\s*=\\s*(\"([^\"]*)\"|'([^']*)'|([^\\s>]+))", options: [.caseInsensitive]),
              let m = re.firstMatch(in: attributes, range: NSRange(attributes.startIndex..., in: attributes)) else { return nil }
        for group in 2...4 {
            if let r = Range(m.range(at: group), in: attributes) { return String(attributes[r]) }
        }
        return nil
    }

    static let named: [String: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ",
                                          "mdash": "—", "ndash": "–", "hellip": "…", "rsquo": "’", "lsquo": "‘",
                                          "rdquo": "”", "ldquo": "“", "copy": "©", "times": "×", "rarr": "→"]

    /// `text` with HTML entities decoded; unknown or malformed entities are kept as written.
    public static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semi = after.prefix(12).firstIndex(of: ";") {
                let body = after[..<semi]
                var decoded: String?
                if body.hasPrefix("#x") || body.hasPrefix("#X") {
                    decoded = UInt32(body.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                } else if body.hasPrefix("#") {
                    decoded = UInt32(body.dropFirst()).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
                } else {
                    decoded = named[String(body)]
                }
                if let decoded {
                    out += decoded
                    rest = after[after.index(after: semi)...]
                    continue
                }
            }
            out += "&"
            rest = after
        }
        out += rest
        return out
    }
}
