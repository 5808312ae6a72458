// Progress reporting for long loops: one live line with a bar, rate and ETA on a terminal, plain lines every few
// seconds otherwise, nothing in tests. Every stage reports through this one type.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reports a stage's progress. Thread-safe; cheap to call on every item (it throttles what it prints).
public final class ProgressReporter: @unchecked Sendable {
    /// How progress is shown.
    public enum Mode: Sendable {
        /// A rewritten line on a terminal, plain lines otherwise (decided from standard error).
        case automatic
        /// A rewritten line (`\r`), for terminals.
        case live
        /// A plain line every `interval` seconds and at the end, for logs.
        case lines
        /// Nothing (tests, library callers that do not want output).
        case silent
    }

    /// A reporter that prints nothing.
    public static var silent: ProgressReporter { ProgressReporter(mode: .silent) }

    private let lock = NSLock()
    private let live: Bool
    private let quiet: Bool
    private let interval: TimeInterval
    private let write: @Sendable (String) -> Void
    private var stage = ""
    private var start = Date()
    private var startDone = 0
    private var lastPrint = Date.distantPast
    private var shown = false

    /// A reporter in `mode`; `interval` is the seconds between plain lines; `write` receives the text to print
    /// (standard error by default).
    public init(mode: Mode = .automatic, interval: TimeInterval = 5,
                write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        switch mode {
        case .automatic: live = isatty(STDERR_FILENO) != 0; quiet = false
        case .live: live = true; quiet = false
        case .lines: live = false; quiet = false
        case .silent: live = false; quiet = true
        }
        self.interval = interval
        self.write = write
    }

    /// Reports that `stage` has done `done` of `total` (nil: unknown) `unit`; `detail` is appended as is. A new stage
    /// name restarts the rate and ETA.
    public func update(_ stage: String, done: Int, total: Int?, unit: String = "", detail: String = "") {
        guard !quiet else { return }
        lock.withLock {
            let now = Date()
            if stage != self.stage {
                if live && shown { write("\n") }
                self.stage = stage
                start = now
                startDone = done
                shown = false
                lastPrint = .distantPast
            }
            let finished = total.map { done >= $0 } ?? false
            guard finished || now.timeIntervalSince(lastPrint) >= (live ? 0.2 : interval) else { return }
            lastPrint = now
            let line = Self.line(stage: stage, done: done, total: total, unit: unit, detail: detail,
                                 elapsed: now.timeIntervalSince(start), fresh: done - startDone)
            if live {
                write("\r\u{1B}[K" + line)
                shown = true
            } else {
                write(line + "\n")
            }
        }
    }

    /// Prints a line of its own (after ending a live line).
    public func note(_ text: String) {
        guard !quiet else { return }
        lock.withLock {
            if live && shown { write("\n"); shown = false }
            write(text + "\n")
        }
    }

    /// Ends a live line.
    public func finish() {
        guard !quiet else { return }
        lock.withLock {
            if live && shown { write("\n") }
            shown = false
            stage = ""
        }
    }

    /// `stage [#####.....] done/total unit  detail  rate/s  ETA 1m05s`.
    static func line(stage: String, done: Int, total: Int?, unit: String, detail: String, elapsed: TimeInterval,
                     fresh: Int) -> String {
        let rate = elapsed > 0 ? Double(fresh) / elapsed : 0
        var parts = [stage]
        if let total {
            let width = 24, filled = total > 0 ? min(width, width * done / total) : width
            parts.append("[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]")
            parts.append("\(done)/\(total)" + (unit.isEmpty ? "" : " " + unit))
        } else {
            parts.append("\(done)" + (unit.isEmpty ? "" : " " + unit))
        }
        if !detail.isEmpty { parts.append(detail) }
        parts.append(String(format: "%.1f/s", rate))
        if let total, rate > 0 { parts.append("ETA " + duration(Double(max(0, total - done)) / rate)) }
        return parts.joined(separator: "  ")
    }

    /// Seconds as `1m05s` or `2h03m`.
    public static func duration(_ s: Double) -> String {
        guard s.isFinite else { return "?" }
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%dh%02dm", t / 3600, t % 3600 / 60) : String(format: "%dm%02ds", t / 60, t % 60)
    }
}
