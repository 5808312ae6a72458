// A remote evaluation goes through the one client stack: its requests land in the request cache and the ledger
// under the run named after the results file, and a rerun (the per-item cache off, the server stopped) sends nothing
// and gives the same scores. Needs the fetched model (skipped without it unless MIMIC_REQUIRE_ASSETS=1).
import Foundation
import MimicCore
@testable import MimicEval
import MimicModels
import MimicServer
import MimicTeacher
import MimicTestSupport
import Testing

@Suite(.serialized) struct RemoteLedgerTests {
    @Test(.requires(.smolLM2))
    func remoteEvaluationIsInTheLedgerAndARerunSendsNothing() async throws {
        let opened = try OpenedModel(try FetchedAsset.smolLM2.require())
        let server = try await LocalServer.start(model: opened, configuration: ServerConfiguration(port: 0, modelName: "smol"))
        let dir = try EvalPaths.temporary()
        var config = EvalConfig()
        config.model = .remote(model: "smol", baseURL: server.baseURL)
        config.tasks = ["mmlu", "nq_open"]
        config.tasksDir = EvalPaths.tasks
        config.dataDir = EvalPaths.samples
        config.limit = 2
        config.bootstrap = 20
        config.out = dir + "/smol-remote.json"
        config.client.cache = dir + "/requests.sqlite"
        let first: EvalReport
        do {
            first = try await EvalRun.run(config)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
        let store = try RequestStore(path: dir + "/requests.sqlite")
        let ledger = try store.totals(run: "smol-remote")
        #expect(ledger.requests > 0 && ledger.promptTokens > 0, "\(ledger)")
        #expect(try store.ledger(by: .run).map(\.group) == ["smol-remote"])

        // The same run with the per-item cache off and nobody listening: every answer comes from the request cache.
        config.noCache = true
        config.out = dir + "/again.json"
        config.client.run = "smol-remote"
        let again = try await EvalRun.run(config)
        #expect(try RequestStore(path: dir + "/requests.sqlite").totals(run: "smol-remote").requests == ledger.requests)
        for (a, b) in zip(first.results, again.results) {
            #expect(a.metrics == b.metrics)
            #expect(a.samples.map(\.completions) == b.samples.map(\.completions))
        }
        // The results file holds the resolved config; `--config` of it reads back the same run.
        let written = try EvalReport.read(from: dir + "/again.json")
        #expect(written.config == config)
    }
}
