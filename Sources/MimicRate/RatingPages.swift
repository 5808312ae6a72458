// The rating app's pages: instructions, one item at a time, completion, notices, and the admin view. Every piece of
// text that came from a model or a rater goes through HTML.escape and is shown as text (white space kept); no page
// names a system; scripts and styles are files of their own, so the pages run under a strict Content-Security-Policy.
import Foundation
import MimicCore

enum RatingPages {
    static func page(_ title: String, _ body: String, script: Bool = false) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTML.escape(title))</title>
        <link rel="stylesheet" href="/static/rate.css">
        \(script ? "<script src=\"/static/rate.js\" defer></script>" : "")
        </head><body><main>
        \(body)
        </main></body></html>
        """
    }

    /// Plain text as paragraphs (blank lines separate them; single line breaks kept).
    static func paragraphs(_ text: String) -> String {
        text.components(separatedBy: "\n\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { "<p class=\"text\">\(HTML.escape($0))</p>" }.joined(separator: "\n")
    }

    static func instructions(token: String, csrf: String, settings: RatingSettings) -> String {
        page("Instructions", """
            <h1>Instructions</h1>
            <section class="instructions">\(paragraphs(settings.instructions))</section>
            <form method="post" action="/r/\(token)/start">
            <input type="hidden" name="csrf" value="\(csrf)">
            <button type="submit" class="primary" id="begin">I have read the instructions: begin</button>
            </form>
            """)
    }

    static func item(token: String, csrf: String, turn: RatingTurn) -> String {
        let first = turn.assignment.swapped ? turn.item.answerB : turn.item.answerA
        let second = turn.assignment.swapped ? turn.item.answerA : turn.item.answerB
        let p = turn.progress
        return page("Item \(p.done + 1) of \(p.total)", """
            <header><span id="progress">\(p.done + 1) of \(p.total)</span>
            <progress max="\(p.total)" value="\(p.done)"></progress></header>
            <section class="prompt"><h2>Request</h2><div class="text" id="prompt">\(HTML.escape(turn.item.prompt))</div></section>
            <div class="outputs">
            <section class="output"><h2>Output 1</h2><div class="text" id="output1">\(HTML.escape(first))</div></section>
            <section class="output"><h2>Output 2</h2><div class="text" id="output2">\(HTML.escape(second))</div></section>
            </div>
            <form method="post" action="/r/\(token)/vote" id="vote">
            <input type="hidden" name="csrf" value="\(csrf)">
            <input type="hidden" name="assignment" value="\(turn.assignment.publicID)">
            <label for="comment">Comment (optional)</label>
            <textarea name="comment" id="comment" maxlength="\(RatingApp.maxComment)" rows="2"></textarea>
            <div class="choices">
            <button type="submit" name="choice" value="1" id="choice1">Output 1 is better <kbd>1</kbd></button>
            <button type="submit" name="choice" value="2" id="choice2">Output 2 is better <kbd>2</kbd></button>
            <button type="submit" name="choice" value="3" id="choice3">Same quality <kbd>3</kbd></button>
            </div>
            </form>
            """, script: true)
    }

    static func complete(code: String) -> String {
        page("Thank you", """
            <h1>Thank you</h1>
            <p>You have rated every item there is for you. Your completion code:</p>
            <p class="code" id="completion-code">\(HTML.escape(code))</p>
            """)
    }

    static func notice(_ title: String, _ message: String, continueTo: String? = nil) -> String {
        page(title, "<h1>\(HTML.escape(title))</h1><p>\(HTML.escape(message))</p>"
             + (continueTo.map { "<p><a href=\"\($0)\">Continue</a></p>" } ?? ""))
    }

    static func admin(token: String, csrf: String, snapshot: RatingSnapshot, report: RatingReport) -> String {
        let s = snapshot.settings
        let regular = snapshot.items.filter { $0.check == nil }
        let excluded = Set(snapshot.raters.filter(\.excluded).map(\.id))
        var counts: [Int: Int] = [:]
        for v in snapshot.votes where !excluded.contains(v.rater) { counts[v.item, default: 0] += 1 }
        let complete = regular.filter { counts[$0.number, default: 0] >= s.ratersPerItem }.count
        let quality = Dictionary(uniqueKeysWithValues: report.raterQuality.map { ($0.rater, $0) })
        let raterRows = snapshot.raters.map { r -> String in
            let q = quality[r.id]
            let action = """
                <form method="post" action="/admin/\(token)/exclude"><input type="hidden" name="csrf" value="\(csrf)">
                <input type="hidden" name="rater" value="\(r.id)"><input type="hidden" name="excluded" value="\(r.excluded ? 0 : 1)">
                <button type="submit" id="exclude-\(r.id)">\(r.excluded ? "Include" : "Exclude")</button></form>
                """
            let checks: String = q.map { "\($0.checksPassed)/\($0.checks)" } ?? "-"
            let seconds: String = q?.medianSeconds.map { String(format: "%.1f", $0) } ?? "-"
            let agreement: String = q?.agreement.map { String(format: "%.0f%%", $0 * 100) } ?? "-"
            let flags: String = HTML.escape(q?.flags.joined(separator: "; ") ?? "")
            let started: String = r.startedAt == nil ? "no" : "yes"
            let cells: [String] = [String(r.id), HTML.escape(r.externalID ?? ""), started, String(q?.votes ?? 0), checks, seconds,
                                   agreement, flags, r.excluded ? "excluded" : "", action]
            return "<tr class=\"\(q?.flags.isEmpty == false ? "flagged" : "")\">" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>"
        }
        let itemRows = regular.map { item -> String in
            let n = counts[item.number, default: 0]
            return "<tr><td>\(item.number)</td><td>\(HTML.escape(item.id))</td><td>\(HTML.escape(item.systemA))</td>"
                + "<td>\(HTML.escape(item.systemB))</td><td>\(n) of \(s.ratersPerItem)</td></tr>"
        }
        return page("Rating study: admin", """
            <h1>Rating study</h1>
            <p id="summary">\(complete) of \(regular.count) items have all \(s.ratersPerItem) ratings; \(report.votes) votes counted from \
            \(report.raters) raters; \(snapshot.raters.count) raters invited; \(excluded.count) excluded.</p>
            <p>Fleiss' kappa \(report.fleissKappa.map { String(format: "%.3f", $0) } ?? "-"), Krippendorff's alpha \
            \(report.krippendorffAlpha.map { String(format: "%.3f", $0) } ?? "-"). Raters are flagged for a failed attention check or \
            a median under \(String(format: "%.1f", s.fastSeconds)) s per item.</p>
            <h2>Raters</h2>
            <table id="raters"><tr><th>rater</th><th>Prolific id</th><th>started</th><th>votes</th><th>attention</th>
            <th>median s</th><th>agrees with others</th><th>flags</th><th>status</th><th></th></tr>
            \(raterRows.joined(separator: "\n"))</table>
            <h2>Items</h2>
            <table id="items"><tr><th>#</th><th>id</th><th>A</th><th>B</th><th>ratings</th></tr>
            \(itemRows.joined(separator: "\n"))</table>
            """)
    }

    static let css = """
        *{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1b1b1b;background:#f6f6f4}
        main{max-width:1100px;margin:0 auto;padding:16px}h1{font-size:1.5em}h2{font-size:1.05em;margin:0 0 6px}
        header{display:flex;gap:12px;align-items:center;margin-bottom:12px}progress{flex:1;height:10px}
        .text{white-space:pre-wrap;overflow-wrap:anywhere;margin:0}.instructions p.text+p.text{margin-top:.8em}
        .prompt,.output,.instructions{background:#fff;border:1px solid #ddd;border-radius:8px;padding:12px;margin-bottom:12px}.outputs .output{margin-bottom:0}.outputs{margin-bottom:12px}
        .outputs{display:grid;grid-template-columns:1fr 1fr;gap:12px}
        @media (max-width:700px){.outputs{grid-template-columns:1fr}.choices{flex-direction:column}}
        label{display:block;font-size:.9em;color:#555}textarea{width:100%;font:inherit;margin-bottom:8px}
        .choices{display:flex;gap:8px}.choices button{flex:1}
        button{font:inherit;padding:10px 14px;border:1px solid #888;border-radius:6px;background:#fff;cursor:pointer}
        button:hover,button:focus{background:#eef}.primary{background:#2a5db0;color:#fff;border-color:#2a5db0}
        kbd{border:1px solid #aaa;border-radius:3px;padding:0 4px;font-size:.8em;margin-left:4px}
        .code{font:1.6em monospace;letter-spacing:.1em}table{border-collapse:collapse;width:100%;background:#fff;margin-bottom:16px}
        td,th{border:1px solid #ddd;padding:4px 6px;text-align:left;font-size:.9em}tr.flagged{background:#fff1e0}
        td form{margin:0}td button{padding:2px 8px}
        """

    /// Keys 1, 2 and 3 vote (not while typing a comment); a form is sent once.
    static let script = """
        document.addEventListener('keydown', function (e) {
          var t = e.target;
          if (t && (t.tagName === 'TEXTAREA' || t.tagName === 'INPUT') || e.ctrlKey || e.metaKey || e.altKey) return;
          var b = document.getElementById('choice' + e.key);
          if (b) { e.preventDefault(); b.click(); }
        });
        document.addEventListener('submit', function (e) {
          if (e.target.dataset.sent) { e.preventDefault(); return; }
          e.target.dataset.sent = '1';
        });
        """
}
