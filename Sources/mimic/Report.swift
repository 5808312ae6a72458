// `mimic report STUDY.yaml`: the study's HTML report (plots, tables, answers side by side) from its finished stages.
import ArgumentParser
import Foundation
import MimicStudy

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a study's report: one self-contained HTML folder (SVG plots, tables, answers side by side).",
        discussion: "`mimic run` writes it at the end of each run; this rewrites it from the finished stages alone.")

    @Argument(help: "The study manifest (YAML).") var manifest: String
    @Option(name: .shortAndLong, help: "The report folder (default STUDY/report, replaced).") var out: String?

    func run() async throws {
        let summary = try await StudyReport.write(StudyPlan(StudyFile(path: manifest)), to: out)
        print("wrote \(summary.index): \(summary.plots) plots, \(summary.pages) pages")
    }
}
