// `mimic run STUDY.yaml`: the whole study from its manifest (collect, curate, subsets, students, training, answers,
// benchmarks, judge, style), each stage cached by the hash of its config and inputs; `--plan` prints what would run.
import ArgumentParser
import Foundation
import MimicCore
import MimicStudy

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an imitation study from its manifest; a rerun does only what changed.",
        discussion: """
            Each stage's outputs go under the study folder (`out`, default runs/NAME beside the manifest) in a \
            folder named by the hash of its config and inputs: a rerun skips finished stages, a run killed at any \
            point is finished by the same command, and a failed stage stops only what depends on it. \
            The results of every model go to STUDY/results.json. Keys: docs/STUDY.md.
            """)

    @Argument(help: "The study manifest (YAML).") var manifest: String
    @Flag(help: "Print the stages, which are cached and which would run (with a time estimate where one is known); run nothing.")
    var plan = false
    @Flag(help: "With --plan: print the plan as JSON.") var json = false
    @Flag(help: "Remove the stage folders no stage of the manifest uses any more (left by earlier versions of it); run nothing. With --plan: list them only.")
    var gc = false

    func run() async throws {
        let study = try StudyPlan(StudyFile(path: manifest))
        if gc {
            let removed = plan ? StudyStore.stale(study).map { ($0, StudyStore.size($0)) } : try StudyStore.collectGarbage(study)
            print(StudyStore.garbageText(removed, removed: !plan), terminator: "")
            return
        }
        if plan {
            print(try json ? StudyStore.planJSON(study) : StudyStore.planText(study), terminator: "")
            return
        }
        let summary = try await runInterruptible {
            try await StudyRunner.run(study, log: { printError($0) }, progress: ProgressReporter())
        }
        print(StudyRunner.summaryText(summary))
        if !summary.succeeded { throw ExitCode(1) }
    }
}
