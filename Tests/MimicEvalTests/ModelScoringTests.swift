// The real SmolLM2 through both models: scores identical at batch sizes 1 and 8, equal to the engine's own
// log-likelihood, and the same through `mimic serve` (OpenAI-compatible completions) as locally.
// Skipped without the fetched model unless MIMIC_REQUIRE_ASSETS=1.
import Foundation
@testable import MimicEval
import MimicModels
import MimicServer
import MimicTeacher
import MimicTestSupport
import Testing

@Suite(.requires(.smolLM2), .serialized) struct ModelScoringTests {
    /// The fetched model, opened once; a file that is there but does not open is a failure, not a skip.
    static let shared = Result<OpenedModel, any Error> { try OpenedModel(FetchedAsset.smolLM2.require()) }

    func options(batch: Int, limit: Int? = nil) -> EvalOptions { EvalPaths.options(limit: limit, batch: batch, bootstrap: 20) }
    func task(_ name: String) throws -> EvalTask { try EvalPaths.task(name) }

    @Test func scoresDoNotDependOnBatchSize() async throws {
        let opened = try Self.shared.get()
        let local = try LocalEvalModel(opened)
        let one = try await Evaluator(model: local, cache: try ItemCache(path: nil), options: options(batch: 1, limit: 3)).run(try task("mmlu"))
        let eight = try await Evaluator(model: local, cache: try ItemCache(path: nil), options: options(batch: 8, limit: 3)).run(try task("mmlu"))
        #expect(one.samples.count == 6)
        #expect(one.samples.map(\.loglikelihoods) == eight.samples.map(\.loglikelihoods))   // bit for bit
        #expect(one.metrics == eight.metrics)
        let g1 = try await Evaluator(model: local, cache: try ItemCache(path: nil), options: options(batch: 1, limit: 3)).run(try task("nq_open"))
        let g8 = try await Evaluator(model: local, cache: try ItemCache(path: nil), options: options(batch: 8, limit: 3)).run(try task("nq_open"))
        #expect(g1.samples.map(\.completions) == g8.samples.map(\.completions))
        #expect(g1.samples.allSatisfy { !($0.completions?.first ?? "").isEmpty })
    }

    @Test func sharedPrefixScoringEqualsTheEngineLoglikelihood() async throws {
        let opened = try Self.shared.get()
        let local = try LocalEvalModel(opened)
        #expect(opened.model.exactActivations)
        let requests = [
            LoglikelihoodRequest(context: "The capital of France is", continuation: " Paris"),
            LoglikelihoodRequest(context: "The capital of France is", continuation: " the city of Lyon, of course"),
            LoglikelihoodRequest(context: "Question: 2 + 2 =\nAnswer:", continuation: " 4"),
        ]
        let got = try await local.loglikelihoods(requests, batchSize: 8)
        for (r, ll) in zip(requests, got) {
            let (ctx, cont) = try local.encodePair(r)
            let reference = try opened.model.loglikelihood(context: ctx, continuation: cont)
            #expect(abs(ll.logProbability - reference.logProbability) < 2e-3, "\(r.continuation)")
            #expect(ll.tokenCount == cont.count)
        }
        #expect(got[0].logProbability > got[1].logProbability)
        // Multi-token continuations that share a context: the same bits alone and in one batch.
        let alone = try await requests.asyncMap { try await local.loglikelihoods([$0], batchSize: 1)[0] }
        #expect(alone == got)
    }

    @Test func remoteThroughMimicServeScoresLikeLocal() async throws {
        let opened = try Self.shared.get()
        let local = try LocalEvalModel(opened)
        let server = try await LocalServer.start(model: opened, configuration: ServerConfiguration(port: 0, modelName: "smol"))
        let client = try OpenAIClient(endpoint: server.endpoint)
        do {
            let withTokenizer = RemoteEvalModel(client: client, model: "smol", baseURL: server.baseURL, local: local)
            let textOnly = RemoteEvalModel(client: client, model: "smol", baseURL: server.baseURL)
            let mmlu = try task("mmlu")
            let l = try await Evaluator(model: local, cache: try ItemCache(path: nil), options: options(batch: 8, limit: 2)).run(mmlu)
            #expect(l.n == 4)
            for remote in [withTokenizer, textOnly] {
                let r = try await Evaluator(model: remote, cache: try ItemCache(path: nil), options: options(batch: 8, limit: 2)).run(mmlu)
                for (a, b) in zip(l.samples, r.samples) {
                    let la = try #require(a.loglikelihoods), lb = try #require(b.loglikelihoods)
                    #expect(la.count == lb.count)
                    for (x, y) in zip(la, lb) { #expect(abs(x - y) < 1e-3, "\(a.source)") }
                }
                #expect(l.metrics["acc,none"]?.value == r.metrics["acc,none"]?.value)
                #expect(l.metrics["acc_norm,none"]?.value == r.metrics["acc_norm,none"]?.value)
            }
            let nq = try task("nq_open")
            let lg = try await Evaluator(model: local, cache: try ItemCache(path: nil), options: options(batch: 4, limit: 3)).run(nq)
            let rg = try await Evaluator(model: textOnly, cache: try ItemCache(path: nil), options: options(batch: 4, limit: 3)).run(nq)
            #expect(lg.samples.map(\.completions) == rg.samples.map(\.completions))
            #expect(lg.metrics == rg.metrics)
        } catch {
            try? await client.shutdown()
            await server.stop()
            throw error
        }
        try await client.shutdown()
        await server.stop()
    }
}

@Suite struct RemoteErrorTests {
    @Test func anEndpointWithoutLogprobsIsAClearErrorNotAZero() async throws {
        let client = ScriptedChatClient { _ in " B" }
        let remote = RemoteEvalModel(client: client, model: "chat-only", baseURL: "http://127.0.0.1:9/v1")
        await #expect {
            _ = try await remote.loglikelihoods([LoglikelihoodRequest(context: "Q", continuation: " A")], batchSize: 1)
        } throws: { error in
            ((error as? LocalizedError)?.errorDescription ?? "").contains("returned no prompt log-probabilities")
        }
        // Generation works and is cut at the stop strings.
        let out = try await remote.generate([GenerationRequest(prompt: "Q", until: ["\n"], maxTokens: 5)], batchSize: 1)
        #expect(out == [" B"])
    }
}

extension Array where Element: Sendable {
    func asyncMap<T>(_ f: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await f(e)) }
        return out
    }
}

@Suite struct IdentityTests {
    @Test(.requires(.smolLM2)) func cacheIdentityFollowsPathTemplateAndTokenizer() throws {
        let path = try FetchedAsset.smolLM2.require()
        let dir = try EvalPaths.temporary()
        let copy = dir + "/copy.gguf"
        try FileManager.default.createSymbolicLink(atPath: copy, withDestinationPath: path)
        let a = try LocalEvalModel(OpenedModel(path)), b = try LocalEvalModel(OpenedModel(copy))
        let c = try LocalEvalModel(OpenedModel(path), template: "chatml")
        #expect(a.identity != b.identity && a.identity != c.identity)
        #expect(a.identity == (try LocalEvalModel(OpenedModel(path))).identity)
        let client = ScriptedChatClient { _ in "" }
        let plain = RemoteEvalModel(client: client, model: "m", baseURL: "http://x/v1")
        let tokenized = RemoteEvalModel(client: client, model: "m", baseURL: "http://x/v1", local: a)
        #expect(plain.identity != tokenized.identity)
        #expect(throws: (any Error).self) { try LocalEvalModel(OpenedModel(path), template: "no-such-template") }
    }
}
