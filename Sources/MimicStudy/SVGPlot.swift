// Line and point plots drawn as SVG text by Mimic (no script, no network): axes with ticks (linear or log x, or
// named categories), one colour per series with a legend, error bars, and horizontal reference lines (the base
// model, the teacher). Each point carries its values as data attributes and a tooltip, so a test or a reader can
// check what was drawn.
import Foundation
import MimicCore

/// One plot.
struct SVGPlot {
    struct Point {
        var x: Double
        var y: Double
        var low: Double? = nil
        var high: Double? = nil
    }

    struct Series {
        var name: String
        var points: [Point]
    }

    struct Reference {
        var name: String
        var y: Double
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var series: [Series] = []
    var references: [Reference] = []
    /// A log-scale x axis (imitation tokens).
    var xLog = false
    /// Named x positions (x = 0, 1, …), instead of numbers.
    var categories: [String]? = nil

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
    static let width = 640.0, height = 360.0
    static let left = 64.0, right = 190.0, top = 36.0, bottom = 52.0

    /// Whether there is anything to draw.
    var isEmpty: Bool { series.allSatisfy { $0.points.isEmpty } && references.isEmpty }

    func svg() -> String {
        let plotW = Self.width - Self.left - Self.right, plotH = Self.height - Self.top - Self.bottom
        let points = series.flatMap(\.points)
        let xs = points.map(\.x).filter { !xLog || $0 > 0 }
        var ys = points.flatMap { [$0.y, $0.low ?? $0.y, $0.high ?? $0.y] } + references.map(\.y)
        if ys.isEmpty { ys = [0, 1] }
        var (yMin, yMax) = (ys.min()!, ys.max()!)
        // A flat line gets room around it, but a rate or a count at 0 does not get a negative axis.
        if yMin == yMax { (yMin, yMax) = (yMin >= 0 ? max(0, yMin - 1) : yMin - 1, yMax + 1) }
        let yTicks = Self.niceTicks(yMin, yMax)
        (yMin, yMax) = (min(yMin, yTicks.first!), max(yMax, yTicks.last!))
        var xTicks: [(Double, String)]
        var xMin: Double, xMax: Double
        if let categories {
            xTicks = categories.enumerated().map { (Double($0.offset), $0.element) }
            (xMin, xMax) = (-0.5, Double(max(categories.count, 1)) - 0.5)
        } else if xLog {
            let lo = xs.min() ?? 1, hi = xs.max() ?? 10
            (xMin, xMax) = (log10(lo) - 0.15, log10(hi) + 0.15)
            if xMax - xMin < 0.5 { (xMin, xMax) = (xMin - 0.25, xMax + 0.25) }
            xTicks = Self.logTicks(xMin, xMax).map { (log10($0), Self.format($0)) }
        } else {
            var (lo, hi) = (xs.min() ?? 0, xs.max() ?? 1)
            if lo == hi { (lo, hi) = (lo - 1, hi + 1) }
            let ticks = Self.niceTicks(lo, hi)
            (xMin, xMax) = (min(lo, ticks.first!), max(hi, ticks.last!))
            xTicks = ticks.map { ($0, Self.format($0)) }
        }
        func px(_ x: Double) -> Double { Self.left + (((xLog && categories == nil) ? log10(x) : x) - xMin) / (xMax - xMin) * plotW }
        func pxTick(_ t: Double) -> Double { Self.left + (t - xMin) / (xMax - xMin) * plotW }
        func py(_ y: Double) -> Double { Self.top + (1 - (y - yMin) / (yMax - yMin)) * plotH }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        var s = "<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\" "
            + "width=\"\(Int(Self.width))\" height=\"\(Int(Self.height))\" role=\"img\" aria-label=\"\(HTML.escape(title))\">\n"
        s += "<title>\(HTML.escape(title))</title>\n"
        s += "<text x=\"\(f(Self.left))\" y=\"20\" class=\"plot-title\">\(HTML.escape(title))</text>\n"
        // Grid and ticks.
        for t in yTicks {
            s += "<line class=\"grid\" x1=\"\(f(Self.left))\" x2=\"\(f(Self.left + plotW))\" y1=\"\(f(py(t)))\" y2=\"\(f(py(t)))\"/>"
            s += "<text class=\"tick\" x=\"\(f(Self.left - 6))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(Self.format(t))</text>\n"
        }
        for (t, label) in xTicks {
            s += "<line class=\"axis\" x1=\"\(f(pxTick(t)))\" x2=\"\(f(pxTick(t)))\" y1=\"\(f(Self.top + plotH))\" y2=\"\(f(Self.top + plotH + 5))\"/>"
            s += "<text class=\"tick\" x=\"\(f(pxTick(t)))\" y=\"\(f(Self.top + plotH + 18))\" text-anchor=\"middle\">\(HTML.escape(label))</text>\n"
        }
        s += "<rect class=\"frame\" x=\"\(f(Self.left))\" y=\"\(f(Self.top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\"/>\n"
        s += "<text class=\"label\" x=\"\(f(Self.left + plotW / 2))\" y=\"\(f(Self.height - 10))\" text-anchor=\"middle\">\(HTML.escape(xLabel))</text>\n"
        s += "<text class=\"label\" transform=\"translate(16 \(f(Self.top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(HTML.escape(yLabel))</text>\n"
        // Reference lines.
        var legend: [(name: String, color: String, dashed: Bool)] = []
        for (i, r) in references.enumerated() {
            let color = i == references.count - 1 && r.name.hasPrefix("teacher") ? "#444" : "#888"
            s += "<line class=\"reference\" data-name=\"\(HTML.escape(r.name))\" data-y=\"\(r.y)\" x1=\"\(f(Self.left))\" x2=\"\(f(Self.left + plotW))\" "
                + "y1=\"\(f(py(r.y)))\" y2=\"\(f(py(r.y)))\" stroke=\"\(color)\" stroke-dasharray=\"\(r.name.hasPrefix("teacher") ? "2 3" : "6 4")\">"
                + "<title>\(HTML.escape(r.name)): \(Self.format(r.y))</title></line>\n"
            legend.append((r.name, color, true))
        }
        // Series.
        for (i, serie) in series.enumerated() {
            let color = Self.palette[i % Self.palette.count]
            let sorted = serie.points.sorted { $0.x < $1.x }.filter { !xLog || categories != nil || $0.x > 0 }
            if sorted.count > 1 {
                s += "<polyline class=\"line\" fill=\"none\" stroke=\"\(color)\" points=\"" + sorted.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ") + "\"/>\n"
            }
            for p in sorted {
                if let low = p.low, let high = p.high {
                    s += "<line class=\"errorbar\" stroke=\"\(color)\" x1=\"\(f(px(p.x)))\" x2=\"\(f(px(p.x)))\" y1=\"\(f(py(low)))\" y2=\"\(f(py(high)))\"/>"
                }
                let xText = categories.map { $0[Int(p.x)] } ?? Self.format(p.x)
                s += "<circle class=\"point\" data-series=\"\(HTML.escape(serie.name))\" data-x=\"\(p.x)\" data-y=\"\(p.y)\" cx=\"\(f(px(p.x)))\" "
                    + "cy=\"\(f(py(p.y)))\" r=\"4\" fill=\"\(color)\"><title>\(HTML.escape(serie.name)): \(HTML.escape(xText)), \(Self.format(p.y))"
                    + (p.low.map { l in p.high.map { " [\(Self.format(l)), \(Self.format($0))]" } ?? "" } ?? "") + "</title></circle>\n"
            }
            legend.append((serie.name, color, false))
        }
        // Legend.
        for (i, item) in legend.enumerated() {
            let y = Self.top + 8 + Double(i) * 18, x = Self.left + plotW + 14
            if item.dashed {
                s += "<line x1=\"\(f(x))\" x2=\"\(f(x + 18))\" y1=\"\(f(y))\" y2=\"\(f(y))\" stroke=\"\(item.color)\" stroke-dasharray=\"4 3\"/>"
            } else {
                s += "<circle cx=\"\(f(x + 9))\" cy=\"\(f(y))\" r=\"4\" fill=\"\(item.color)\"/>"
            }
            s += "<text class=\"legend\" x=\"\(f(x + 24))\" y=\"\(f(y + 4))\">\(HTML.escape(item.name))</text>\n"
        }
        return s + "</svg>\n"
    }

    /// About five round ticks covering [lo, hi] (steps of 1, 2 or 5 × 10^k).
    static func niceTicks(_ lo: Double, _ hi: Double) -> [Double] {
        let span = max(hi - lo, 1e-12)
        let raw = span / 5, magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let first = floor(lo / step) * step
        var ticks: [Double] = []
        var t = first
        while t <= hi + step * 0.5 && ticks.count < 20 {
            ticks.append((t / step).rounded() * step)
            t += step
        }
        if ticks.last! < hi { ticks.append(ticks.last! + step) }
        return ticks
    }

    /// Ticks for a log axis spanning [10^lo, 10^hi]: powers of ten, with 2 and 5 between them when few.
    static func logTicks(_ lo: Double, _ hi: Double) -> [Double] {
        var ticks: [Double] = []
        let multipliers: [Double] = hi - lo < 2 ? [1, 2, 5] : [1]
        for e in Int(floor(lo))...Int(ceil(hi)) {
            for m in multipliers {
                let v = m * pow(10, Double(e))
                if log10(v) >= lo && log10(v) <= hi { ticks.append(v) }
            }
        }
        return ticks.isEmpty ? [pow(10, (lo + hi) / 2).rounded()] : ticks
    }

    /// A number as a tick or tooltip shows it: 1.2K, 3M for large ones, up to 3 significant decimals for small.
    static func format(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e6 { return trim(String(format: "%.1f", v / 1e6)) + "M" }
        if a >= 1e4 { return trim(String(format: "%.1f", v / 1e3)) + "K" }
        if a >= 100 || v == v.rounded() { return String(format: "%.0f", v) }
        if a >= 1 { return trim(String(format: "%.2f", v)) }
        return trim(String(format: "%.3f", v))
    }

    static func trim(_ s: String) -> String {
        guard s.contains(".") else { return s }
        var t = s
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return t
    }
}

