// MarkdownWriter: the output side of HTMLToMarkdown: block spacing, list nesting, code fences, links, tables.
import Foundation
import MimicCore

/// Builds Markdown from a stream of text runs and recognised HTML tags.
struct MarkdownWriter {
    let collapse: Bool
    var out = ""
    var lists: [(ordered: Bool, next: Int)] = []
    var inPre = false
    var preText = ""
    var preLanguage = ""
    var links: [String?] = []
    var skipDepth = 0
    var rowHasHeader = false
    var rowCells = 0

    init(collapse: Bool) { self.collapse = collapse }

    mutating func text(_ raw: String) {
        guard !raw.isEmpty, skipDepth == 0 else { return }
        let decoded = HTMLToMarkdown.decodeEntities(raw)
        if inPre {
            preText += decoded
            return
        }
        guard collapse else {
            out += decoded
            return
        }
        var collapsed = ""
        var pendingSpace = false
        for c in decoded {
            if c.isWhitespace {
                pendingSpace = true
                continue
            }
            if pendingSpace, let last = collapsed.last ?? out.last, last != "\n", last != " " { collapsed += " " }
            pendingSpace = false
            collapsed.append(c)
        }
        if pendingSpace, let last = collapsed.last ?? out.last, last != "\n", last != " " { collapsed += " " }
        out += collapsed
    }

    /// Ends the current line and leaves `newlines` line breaks before what follows (unless at the start).
    mutating func block(_ newlines: Int = 2) {
        while out.last == " " { out.removeLast() }
        guard !out.isEmpty else { return }
        let have = out.reversed().prefix { $0 == "\n" }.count
        if have < newlines { out += String(repeating: "\n", count: newlines - have) }
    }

    mutating func tag(_ tag: HTMLToMarkdown.Tag) {
        if tag.name == "button" {
            skipDepth += tag.closing ? (skipDepth > 0 ? -1 : 0) : 1
            return
        }
        guard skipDepth == 0 else { return }
        if inPre {
            preTag(tag)
            return
        }
        switch (tag.name, tag.closing) {
        case ("p", _), ("blockquote", _): block()
        case ("div", _): block(1)
        case ("br", _): out += "\n"
        case ("hr", false): block(); out += "---"; block()
        case (let h, false) where h.count == 2 && h.hasPrefix("h") && h != "hr":
            block(); out += String(repeating: "#", count: Int(String(h.last ?? "1")) ?? 1) + " "
        case (let h, true) where h.count == 2 && h.hasPrefix("h") && h != "hr": block()
        case ("strong", _), ("b", _): out += "**"
        case ("em", _), ("i", _): out += "*"
        case ("code", _): out += "`"
        case ("a", false):
            let href = HTMLToMarkdown.attribute("href", in: tag.attributes)
            links.append(href)
            if href != nil { out += "[" }
        case ("a", true):
            if let href = links.popLast() ?? nil { out += "](\(href))" }
        case ("ul", false), ("ol", false):
            if lists.isEmpty { block() } else { block(1) }
            lists.append((tag.name == "ol", 1))
        case ("ul", true), ("ol", true):
            _ = lists.popLast()
            if lists.isEmpty { block() } else { block(1) }
        case ("li", false):
            block(1)
            let indent = String(repeating: "  ", count: max(0, lists.count - 1))
            if var list = lists.popLast() {
                out += indent + (list.ordered ? "\(list.next). " : "- ")
                list.next += 1
                lists.append(list)
            } else {
                out += "- "
            }
        case ("pre", false):
            block()
            inPre = true
            preText = ""
            preLanguage = ""
        case ("table", _): block()
        case ("tr", false):
            block(1)
            out += "|"
            rowHasHeader = false
            rowCells = 0
        case ("tr", true):
            if rowHasHeader { out += "\n|" + String(repeating: " --- |", count: rowCells) }
            block(1)
        case ("th", false), ("td", false):
            out += " "
            rowHasHeader = rowHasHeader || tag.name == "th"
            rowCells += 1
        case ("th", true), ("td", true): out += " |"
        default: break  // span, thead, tbody, svg, path, closing li
        }
    }

    mutating func preTag(_ tag: HTMLToMarkdown.Tag) {
        switch (tag.name, tag.closing) {
        case ("code", false):
            preText = ""  // drop a header such as "pythonCopy code" before the code itself
            if let classes = HTMLToMarkdown.attribute("class", in: tag.attributes),
               let range = classes.range(of: #"language-[\w+#-]+"#, options: .regularExpression) {
                preLanguage = String(classes[range].dropFirst("language-".count))
            }
        case ("br", _): preText += "\n"
        case ("pre", true):
            inPre = false
            var code = preText
            while code.hasSuffix("\n") { code.removeLast() }
            while code.hasPrefix("\n") { code.removeFirst() }
            out += "```\(preLanguage)\n\(code)\n```"
            block()
        default: break
        }
    }

    mutating func finish() -> String {
        if inPre { tag(HTMLToMarkdown.Tag(name: "pre", closing: true, attributes: "", length: 0)) }
        var result = out
        while result.contains("\n\n\n") { result = result.replacingOccurrences(of: "\n\n\n", with: "\n\n") }
        return result.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
