// `mimic report`: one self-contained HTML folder for a study (no script, no network; plots are SVG drawn by
// `SVGPlot`): preference against the teacher by imitation tokens and by base model (Figures 1 and 3), each benchmark
// likewise with the base models and the teacher as reference lines (Figure 4), Tables 1, 2 and 7, the training
// curves, the data at each step, the cost ledger, every stage's configuration, and pages to read each prompt's
// answers side by side. Everything that came from a model or a file is escaped.
import Foundation
import MimicCore
import MimicEval
import MimicMetrics
import MimicRate
import MimicStages
import MimicTeacher
import MimicTrain

/// What `mimic report` wrote.
public struct StudyReportSummary: Sendable {
    /// The report's folder and its index page.
    public var folder: String
    public var index: String
    /// The pages written (index and answer pages).
    public var pages: Int
    /// The plots drawn.
    public var plots: Int
}

/// Writes a study's report.
public enum StudyReport {
    /// Writes the report of `plan`'s finished stages to `folder` (default `STUDY/report`); replaces an older one.
    /// `results` are read from the stages when not given (`mimic run` passes the ones it just wrote).
    public static func write(_ plan: StudyPlan, results given: StudyResults? = nil, to folder: String? = nil) async throws -> StudyReportSummary {
        let out = folder ?? plan.folder + "/report"
        let results: StudyResults
        if let given { results = given } else { results = try await StudyResults.collect(plan) }
        var page = Page(title: "Study \(results.study)")
        var plots = 0
        page.add("<p>Teacher: <code>\(HTML.escape(results.teacher))</code>. Stages finished: \(results.finished) of \(results.stages). "
                 + "Results: <code>results.json</code> (a copy is in this folder).</p>")
        let imitation = results.models.filter { $0.model.role == "imitation" }
        let students = plan.file.manifest.students.map(\.name)
        let kinds = plan.file.manifest.data.map(\.name)
        func base(_ student: String) -> ModelResults? { results.models.first { $0.model.id == "base/" + student } }
        let teacher = results.models.first { $0.model.role == "teacher" }
        let largest = plan.file.manifest.amounts.max() ?? 0

        // Figures 1 and 3: preference against the teacher.
        page.section("Preference against the teacher (Figures 1 and 3)", id: "preference")
        // One preference (in %, with its interval) by imitation data and by base model.
        func preferencePlots(_ what: String, _ value: @escaping (ModelResults) -> SVGPlot.Point?) -> String {
            var byTokens = SVGPlot(title: "\(what) against the teacher by imitation data", xLabel: "imitation tokens",
                                   yLabel: "\(what.lowercased()) vs teacher (%)", xLog: true)
            for student in students {
                for kind in kinds {
                    let points = imitation.filter { $0.model.student == student && $0.model.data == kind }.compactMap(value)
                    if !points.isEmpty { byTokens.series.append(.init(name: "\(student) · \(kind)", points: points)) }
                }
                if let w = base(student).flatMap(value)?.y { byTokens.references.append(.init(name: "base \(student)", y: w)) }
            }
            byTokens.references.append(.init(name: "teacher (parity)", y: 50))
            var byBase = SVGPlot(title: "\(what) against the teacher by base model (\(SVGPlot.format(Double(largest))) tokens)",
                                 xLabel: "base model", yLabel: "\(what.lowercased()) vs teacher (%)", categories: students)
            let baseValues = students.enumerated().compactMap { i, s in
                base(s).flatMap(value).map { SVGPlot.Point(x: Double(i), y: $0.y, low: $0.low, high: $0.high) }
            }
            byBase.series = [SVGPlot.Series(name: "base", points: baseValues)] + kinds.map { kind in
                SVGPlot.Series(name: kind, points: students.enumerated().compactMap { i, s in
                    imitation.first { $0.model.student == s && $0.model.data == kind && $0.model.amount == largest }.flatMap(value)
                        .map { SVGPlot.Point(x: Double(i), y: $0.y, low: $0.low, high: $0.high) } })
            }
            byBase.references.append(.init(name: "teacher (parity)", y: 50))
            plots += 2
            return byTokens.svg() + byBase.svg()
        }
        if results.models.contains(where: { $0.judge?.winRate != nil }) {
            page.add(preferencePlots("Judged win rate") { m in
                guard let w = m.judge?.winRate else { return nil }
                return SVGPlot.Point(x: Double(m.tokens ?? m.model.amount ?? 0), y: w, low: m.judge?.winRateInterval?.lower,
                                     high: m.judge?.winRateInterval?.upper)
            })
            page.add(judgeTable(results.models.filter { $0.judge != nil }))
        } else {
            page.add("<p>No judged results (the manifest has no <code>judge</code> section, or its stages have not finished).</p>")
        }
        // The paper's human evaluation: people's majority per item, mean preference (A better 1, same ½, B better 0).
        if results.models.contains(where: { $0.people != nil }) {
            page.add(preferencePlots("People's preference") { m in
                guard let p = m.people else { return nil }
                return SVGPlot.Point(x: Double(m.tokens ?? m.model.amount ?? 0), y: 100 * p.meanPreference,
                                     low: p.interval.map { 100 * $0.lower }, high: p.interval.map { 100 * $0.upper })
            })
            page.add(peopleTable(results.models.filter { $0.people != nil }))
        } else if let rating = plan.stages.first(where: { $0.id == "rating" }) {
            page.add("<p>No human ratings yet. The rating study is <code>\(HTML.escape(rating.output))</code>: "
                     + "<code>mimic rate invite</code> it, <code>mimic rate serve</code> it, and run <code>mimic report</code> again.</p>")
        }

        // Figure 4: benchmarks.
        page.section("Benchmarks (Figure 4)", id: "benchmarks")
        let metrics = Self.metricKeys(results.models)
        for (task, metric) in metrics {
            let value = { (m: ModelResults) -> MetricValue? in m.benchmarks[task]?[metric] }
            let point = { (m: ModelResults, x: Double) -> SVGPlot.Point? in
                guard let v = value(m), let y = v.value else { return nil }
                return SVGPlot.Point(x: x, y: y, low: v.stderr.map { y - $0 }, high: v.stderr.map { y + $0 })
            }
            var byTokens = SVGPlot(title: "\(task): \(metric) by imitation data", xLabel: "imitation tokens", yLabel: metric, xLog: true)
            for student in students {
                for kind in kinds {
                    let points = imitation.filter { $0.model.student == student && $0.model.data == kind }
                        .compactMap { point($0, Double($0.tokens ?? $0.model.amount ?? 0)) }
                    if !points.isEmpty { byTokens.series.append(.init(name: "\(student) · \(kind)", points: points)) }
                }
                if let y = base(student).flatMap(value)?.value { byTokens.references.append(.init(name: "base \(student)", y: y)) }
            }
            if let y = teacher.flatMap(value)?.value { byTokens.references.append(.init(name: "teacher", y: y)) }
            var byBase = SVGPlot(title: "\(task): \(metric) by base model (\(SVGPlot.format(Double(largest))) tokens)", xLabel: "base model",
                                 yLabel: metric, categories: students)
            byBase.series = [SVGPlot.Series(name: "base", points: students.enumerated().compactMap { i, s in base(s).flatMap { point($0, Double(i)) } })]
                + kinds.map { kind in
                    SVGPlot.Series(name: kind, points: students.enumerated().compactMap { i, s in
                        imitation.first { $0.model.student == s && $0.model.data == kind && $0.model.amount == largest }.flatMap { point($0, Double(i)) } })
                }
            if let y = teacher.flatMap(value)?.value { byBase.references.append(.init(name: "teacher", y: y)) }
            page.add(byTokens.svg() + byBase.svg())
            plots += 2
        }
        if metrics.isEmpty { page.add("<p>No benchmark results yet.</p>") }

        // Table 1: every benchmark for the base models, each kind at the largest amount, and the teacher.
        page.section("Table 1: base, imitation and teacher", id: "table1")
        var rows = students.compactMap(base)
        for s in students { for k in kinds { if let m = imitation.first(where: { $0.model.student == s && $0.model.data == k && $0.model.amount == largest }) { rows.append(m) } } }
        if let teacher { rows.append(teacher) }
        page.add(metricTable(rows, columns: metrics, id: "table1"))

        // Table 2: style.
        page.section("Table 2: style against the teacher", id: "table2")
        page.add(styleTable(results.models.filter { $0.style != nil }))

        // Table 7: ROUGE.
        let rouge = metrics.filter { $0.metric.hasPrefix("rouge") }
        if !rouge.isEmpty {
            page.section("Table 7: ROUGE", id: "table7")
            page.add(metricTable(results.models.filter { $0.model.role != "teacher-2" }, columns: rouge, id: "table7"))
        }

        // Training curves.
        page.section("Training", id: "training")
        var curves = 0
        for stage in plan.stages where stage.id.hasPrefix("train/") {
            let log = stage.folder + "/log.jsonl"
            guard FileManager.default.fileExists(atPath: log), let steps = try? JSONLines.decodeAll(StepRecord.self, in: URL(fileURLWithPath: log)),
                  !steps.isEmpty else { continue }
            var plot = SVGPlot(title: "\(stage.id.dropFirst("train/".count)): training loss", xLabel: "step", yLabel: "loss")
            plot.series = [.init(name: "train loss", points: steps.map { .init(x: Double($0.step), y: $0.loss) })]
            let eval = steps.compactMap { s in s.evalLoss.map { SVGPlot.Point(x: Double(s.step), y: $0) } }
            if !eval.isEmpty { plot.series.append(.init(name: "held-out loss", points: eval)) }
            page.add(plot.svg())
            curves += 1
        }
        plots += curves
        if curves == 0 { page.add("<p>No training logs (training stages have not run, or ran outside Mimic).</p>") }

        // Data.
        page.section("Data", id: "data")
        page.add(dataTable(plan))
        page.add(diversityTable(results.data))

        // Ledger.
        page.section("Requests and cost", id: "ledger")
        page.add(ledgerTable(plan))

        // Configurations.
        page.section("Configurations", id: "configs")
        page.add("<p>The manifest, then every stage's resolved configuration (its folder is named by the hash of it and its inputs).</p>")
        page.add("<details><summary>manifest</summary><pre>\(HTML.escape((try? String(contentsOfFile: plan.file.path, encoding: .utf8)) ?? ""))</pre></details>")
        for stage in plan.stages {
            let config = (try? String(contentsOfFile: stage.folder + "/config.json", encoding: .utf8)) ?? "(not run yet)"
            page.add("<details><summary>\(HTML.escape(stage.id)) <code>\(stage.key.prefix(16))</code></summary><pre>\(HTML.escape(config))</pre></details>")
        }

        // Answers.
        page.section("Answers", id: "answers")
        let answers = try answerPages(plan, results: results)
        page.add(answers.index)

        let fm = FileManager.default
        let temporary = out + ".partial"
        try? fm.removeItem(atPath: temporary)
        try fm.createDirectory(atPath: temporary + "/answers", withIntermediateDirectories: true)
        try Data(page.html().utf8).write(to: URL(fileURLWithPath: temporary + "/index.html"))
        for (name, html) in answers.pages { try Data(html.utf8).write(to: URL(fileURLWithPath: temporary + "/answers/" + name)) }
        try ConfigResolver.write(results, to: temporary + "/results.json")
        try? fm.removeItem(atPath: out)
        try fm.moveItem(atPath: temporary, toPath: out)
        return StudyReportSummary(folder: out, index: out + "/index.html", pages: 1 + answers.pages.count, plots: plots)
    }

    /// Every (task, metric) some model has, in order.
    static func metricKeys(_ models: [ModelResults]) -> [(task: String, metric: String)] {
        var keys = Set<String>()
        for m in models { for (task, metrics) in m.benchmarks { for metric in metrics.keys { keys.insert(task + "\u{1}" + metric) } } }
        return keys.sorted().map { key in
            let parts = key.split(separator: "\u{1}", maxSplits: 1).map(String.init)
            return (parts[0], parts[1])
        }
    }

    static func name(_ m: ModelResults) -> String {
        switch m.model.role {
        case "teacher": return "teacher"
        case "teacher-2": return "teacher (second sample)"
        case "base": return "base \(m.model.student ?? "")"
        default: return "\(m.model.student ?? "") · \(m.model.data ?? "") · \(SVGPlot.format(Double(m.tokens ?? m.model.amount ?? 0))) tokens"
        }
    }

    /// A cell whose exact value is in `data-value` (what tests compare with results.json), with `attributes`
    /// (name → value, escaped) naming what it holds.
    static func cell(_ value: Double?, digits: Int = 2, extra: String = "", _ attributes: [(String, String)] = []) -> String {
        let named = attributes.map { " data-\($0.0)=\"\(HTML.escape($0.1))\"" }.joined()
        guard let value else { return "<td class=\"missing\"\(named)>–</td>" }
        return "<td\(named) data-value=\"\(value)\">\(String(format: "%.\(digits)f", value))\(extra)</td>"
    }

    static func metricTable(_ rows: [ModelResults], columns: [(task: String, metric: String)], id: String) -> String {
        guard !rows.isEmpty, !columns.isEmpty else { return "<p>No results yet.</p>" }
        var s = "<table id=\"\(id)-table\"><thead><tr><th>model</th>"
        for c in columns { s += "<th>\(HTML.escape(c.task))<br><small>\(HTML.escape(c.metric))</small></th>" }
        s += "</tr></thead><tbody>\n"
        for m in rows {
            s += "<tr data-model=\"\(HTML.escape(m.model.id))\"><th>\(HTML.escape(name(m)))</th>"
            for c in columns {
                let v = m.benchmarks[c.task]?[c.metric]
                s += cell(v?.value, digits: 3, extra: v?.stderr.map { " <small>± " + String(format: "%.3f", $0) + "</small>" } ?? "",
                          [("task", c.task), ("metric", c.metric)])
            }
            s += "</tr>\n"
        }
        return s + "</tbody></table>\n"
    }

    static func judgeTable(_ rows: [ModelResults]) -> String {
        var s = "<table id=\"judge-table\"><thead><tr><th>model</th><th>win rate</th><th>95% interval</th><th>LC win rate</th><th>wins</th><th>ties</th>"
            + "<th>losses</th><th>errors</th><th>position consistency</th><th>longer answer wins</th></tr></thead><tbody>\n"
        for m in rows {
            guard let j = m.judge else { continue }
            s += "<tr data-model=\"\(HTML.escape(m.model.id))\"><th>\(HTML.escape(name(m)))</th>" + cell(j.winRate, [("key", "win_rate")])
                + "<td>\(j.winRateInterval.map { String(format: "%.1f – %.1f", $0.lower, $0.upper) } ?? "–")</td>"
                + cell(j.lcWinRate, [("key", "lc_win_rate")])
                + "<td>\(j.wins)</td><td>\(j.ties)</td><td>\(j.losses)</td><td>\(j.errors)</td>"
                + cell(j.positionConsistency, digits: 1, [("key", "position_consistency")])
                + cell(j.longerWins, digits: 1, [("key", "longer_wins")]) + "</tr>\n"
        }
        return s + "</tbody></table>\n<p class=\"note\">Position consistency and longer-answer wins are percentages. A judge that flips with the order, "
            + "or prefers the longer answer, is reported rather than hidden.</p>\n"
    }

    /// People's ratings of each model against the teacher, as the paper's Figure 7 gives them.
    static func peopleTable(_ rows: [ModelResults]) -> String {
        var s = "<table id=\"people-table\"><thead><tr><th>model</th><th>items</th><th>model better (%)</th><th>same (%)</th>"
            + "<th>teacher better (%)</th><th>model equal or better (%)</th><th>mean preference ± sd</th><th>95% interval</th></tr></thead><tbody>\n"
        for m in rows {
            guard let p = m.people else { continue }
            s += "<tr data-model=\"\(HTML.escape(m.model.id))\"><th>\(HTML.escape(name(m)))</th><td>\(p.items)</td>"
                + cell(p.aBetter, digits: 1, [("key", "a_better")]) + cell(p.same, digits: 1, [("key", "same")])
                + cell(p.bBetter, digits: 1, [("key", "b_better")]) + cell(p.aEqualOrBetter, digits: 1, [("key", "a_equal_or_better")])
                + "<td>\(String(format: "%.3f ± %.3f", p.meanPreference, p.standardDeviation))</td>"
                + "<td>\(p.interval.map { String(format: "%.3f – %.3f", $0.lower, $0.upper) } ?? "–")</td></tr>\n"
        }
        return s + "</tbody></table>\n<p class=\"note\">Each item counts once, by the majority of its ratings (no majority: the same). "
            + "Agreement and rater quality: <code>mimic rate report</code> on the rating study.</p>\n"
    }

    static func styleTable(_ rows: [ModelResults]) -> String {
        guard !rows.isEmpty else { return "<p>No style results yet (they need <code>eval.prompts</code>).</p>" }
        let names = [("list_match", "lists (%)"), ("summary_match", "summary paragraph (%)"), ("unigram_intersection", "unigram intersection"),
                     ("length_correlation", "length correlation"), ("authoritative_tone", "authoritative tone (%)")]
        var s = "<table id=\"table2-table\"><thead><tr><th>model</th>" + names.map { "<th>\($0.1)</th>" }.joined() + "</tr></thead><tbody>\n"
        for m in rows {
            guard let f = m.style else { continue }
            let figures: [MetricFigure?] = [f.listMatch, f.summaryMatch, f.unigramIntersection, f.lengthCorrelation, f.authoritativeTone]
            s += "<tr data-model=\"\(HTML.escape(m.model.id))\"><th>\(HTML.escape(name(m)))</th>"
            for (figure, key) in zip(figures, names.map(\.0)) {
                s += cell(figure?.value, extra: " <small>(n \(figure?.n ?? 0))</small>", [("key", key)])
            }
            s += "</tr>\n"
        }
        return s + "</tbody></table>\n"
    }

    /// Records at each data step: collected, after each curation step, and each subset with its tokens.
    static func dataTable(_ plan: StudyPlan) -> String {
        var s = "<table id=\"data-table\"><thead><tr><th>stage</th><th>records</th><th>tokens</th></tr></thead><tbody>\n"
        for stage in plan.stages where ["collect", "curate", "subset"].contains(stage.work.kind) {
            guard let done = StudyStore.done(stage) else {
                s += "<tr><th>\(HTML.escape(stage.id))</th><td colspan=\"2\">not run yet</td></tr>\n"
                continue
            }
            let records = done.facts["records"]?.intValue ?? lineCount(stage.output)
            s += "<tr><th>\(HTML.escape(stage.id))</th><td>\(records)</td><td>\(done.facts["tokens"]?.intValue.map(String.init) ?? "")</td></tr>\n"
        }
        return s + "</tbody></table>\n"
    }

    /// Each kind's self-BLEU diversity (the paper's figure: each query's best BLEU against the others, averaged).
    static func diversityTable(_ data: [DataKindResults]) -> String {
        guard data.contains(where: { $0.diversity != nil }) else { return "<p>No diversity figures yet.</p>\n" }
        var s = "<table id=\"diversity-table\"><thead><tr><th>data kind</th><th>queries</th><th>mean self-BLEU</th><th>median</th>"
            + "<th>queries above 20</th></tr></thead><tbody>\n"
        for kind in data {
            guard let d = kind.diversity else { continue }
            s += "<tr data-kind=\"\(HTML.escape(kind.kind))\"><th>\(HTML.escape(kind.kind))</th><td>\(d.queries)</td>"
                + cell(d.meanSelfBleu, [("key", "mean_self_bleu")]) + cell(d.medianSelfBleu, [("key", "median_self_bleu")])
                + "<td>\(d.queriesAbove20)</td></tr>\n"
        }
        return s + "</tbody></table>\n<p class=\"note\">Self-BLEU: each query's best sentence BLEU (0–100) against another query of "
            + "the same kind, averaged; lower is more diverse.</p>\n"
    }

    static func lineCount(_ path: String) -> Int {
        var n = 0
        try? LineStream.forEachLine(of: URL(fileURLWithPath: path)) { _, bytes in if bytes.contains(where: { !JSONLines.isSpace($0) }) { n += 1 } }
        return n
    }

    static func ledgerTable(_ plan: StudyPlan) -> String {
        var query = LedgerQuery()
        query.cache = plan.folder + "/requests.sqlite"
        query.by = .run
        guard FileManager.default.fileExists(atPath: query.path), let report = try? LedgerReport.make(query) else {
            return "<p>No requests were sent to a served model.</p>"
        }
        var s = "<table id=\"ledger-table\"><thead><tr><th>run</th><th>requests</th><th>prompt tokens</th><th>completion tokens</th><th>cost (USD)</th></tr></thead><tbody>\n"
        for row in report.rows + [report.total] {
            s += "<tr><th>\(HTML.escape(row.group))</th><td>\(row.requests)</td><td>\(row.promptTokens)</td><td>\(row.completionTokens)</td>"
                + "<td>\(String(format: "%.4f", row.costUSD))</td></tr>\n"
        }
        return s + "</tbody></table>\n<p class=\"note\">Local models cost nothing; a hosted model's price comes from the price table.</p>\n"
    }

    /// The answers index (for the main page) and one page per prompt with every model's answer.
    static func answerPages(_ plan: StudyPlan, results: StudyResults) throws -> (index: String, pages: [(String, String)]) {
        var columns: [(name: String, answers: [String: String])] = []
        var prompts: [String] = []
        for m in results.models {
            guard let id = plan.modelStages[m.model.id]?.answers, let stage = plan.stage(id), StudyStore.done(stage) != nil else { continue }
            var answers: [String: String] = [:]
            let (records, _) = try ConversationJSONL.read(URL(fileURLWithPath: stage.output), policy: .skip)
            for record in records {
                guard let prompt = record.messages.first(where: { $0.role == "user" })?.content else { continue }
                if answers[prompt] == nil, let answer = record.messages.last(where: { $0.role == "assistant" })?.content { answers[prompt] = answer }
                if m.model.role == "teacher" && !prompts.contains(prompt) { prompts.append(prompt) }
            }
            columns.append((name(m), answers))
        }
        guard !columns.isEmpty else { return ("<p>No answers yet.</p>", []) }
        if prompts.isEmpty { prompts = Array(columns[0].answers.keys).sorted() }
        var index = "<ol class=\"prompts\">\n"
        var pages: [(String, String)] = []
        for (i, prompt) in prompts.enumerated() {
            let file = "\(i + 1).html"
            index += "<li><a href=\"answers/\(file)\">\(HTML.escape(String(prompt.prefix(140))))</a></li>\n"
            var page = Page(title: "Prompt \(i + 1)", stylesheetPrefix: "../")
            page.add("<p><a href=\"../index.html#answers\">back to the report</a>"
                     + (i > 0 ? " · <a href=\"\(i).html\">previous</a>" : "") + (i + 1 < prompts.count ? " · <a href=\"\(i + 2).html\">next</a>" : "") + "</p>")
            page.add("<h2>Prompt</h2><pre class=\"model-text prompt\">\(HTML.escape(prompt))</pre>")
            page.add("<div class=\"answers\">" + columns.map { column in
                "<div class=\"answer\"><h3>\(HTML.escape(column.name))</h3><pre class=\"model-text\">\(HTML.escape(column.answers[prompt] ?? "(no answer)"))</pre></div>"
            }.joined(separator: "\n") + "</div>")
            pages.append((file, page.html()))
        }
        return (index + "</ol>\n", pages)
    }
}

/// One HTML page with the report's style sheet inline.
struct Page {
    var title: String
    var stylesheetPrefix = ""
    var body = ""
    var sections: [(id: String, title: String)] = []

    mutating func add(_ html: String) { body += html + "\n" }

    mutating func section(_ title: String, id: String) {
        sections.append((id, title))
        body += "<h2 id=\"\(id)\">\(HTML.escape(title))</h2>\n"
    }

    static let style = """
        body { font: 15px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1320px; padding: 0 16px; color: #222; }
        h1 { font-size: 24px; } h2 { font-size: 19px; margin-top: 36px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
        nav a { margin-right: 12px; } table { border-collapse: collapse; margin: 10px 0; } th, td { border: 1px solid #ddd; padding: 4px 8px; }
        td { text-align: right; font-variant-numeric: tabular-nums; } thead th { background: #f4f4f4; } tbody th { text-align: left; font-weight: normal; }
        svg.plot { margin: 8px 12px 8px 0; background: #fff; } .plot-title { font-size: 13px; font-weight: 600; } .tick, .legend { font-size: 11px; }
        .label { font-size: 12px; } .grid { stroke: #eee; } .frame { fill: none; stroke: #999; } .axis { stroke: #999; }
        .line { stroke-width: 1.6; } .errorbar { stroke-width: 1.2; } .reference { stroke-width: 1.3; }
        pre { white-space: pre-wrap; word-wrap: break-word; background: #f8f8f8; padding: 8px; border-radius: 4px; font-size: 13px; }
        .answers { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 12px; }
        .answer h3 { font-size: 14px; margin: 4px 0; } .note { color: #555; font-size: 13px; } .missing { color: #aaa; }
        """

    func html() -> String {
        let nav = sections.isEmpty ? "" : "<nav>" + sections.map { "<a href=\"#\($0.id)\">\(HTML.escape($0.title.components(separatedBy: " (")[0]))</a>" }.joined() + "</nav>\n"
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(HTML.escape(title))</title>"
            + "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:\">"
            + "<style>\(Self.style)</style></head>\n<body>\n<h1>\(HTML.escape(title))</h1>\n" + nav + body + "</body></html>\n"
    }
}
