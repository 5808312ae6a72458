// What `mimic eval` opens: the model (local engine or endpoint) and the toxicity scorer.
import ArgumentParser
import Foundation
import MimicEval
import MimicModels
import MimicTeacher

/// The evaluated model and what must be closed after the run.
struct EvalModels: Sendable {
    let model: any EvalModel
    let client: OpenAIClient?

    func close() async { try? await client?.shutdown() }

    /// A local model, or an endpoint for `openai:MODEL@URL` / `openai:MODEL` with --base-url.
    static func open(_ args: Eval) async throws -> EvalModels {
        guard args.model.hasPrefix("openai:") else {
            let opened = try OpenedModel(args.model)
            return EvalModels(model: try LocalEvalModel(opened, template: args.template), client: nil)
        }
        var rest = String(args.model.dropFirst("openai:".count)), url = args.baseURL
        if let at = rest.firstIndex(of: "@") {
            url = String(rest[rest.index(after: at)...])
            rest = String(rest[..<at])
        }
        guard !rest.isEmpty else { throw ValidationError("--model openai:MODEL needs a model name") }
        let env = ProcessInfo.processInfo.environment
        let endpoint = TeacherEndpoint(baseURL: url ?? env["MIMIC_EVAL_BASE_URL"] ?? "https://api.openai.com/v1",
                                       apiKey: env["MIMIC_EVAL_API_KEY"] ?? env["OPENAI_API_KEY"])
        let client = try OpenAIClient(endpoint: endpoint, timeout: 600)
        let throttled = try ThrottledClient(wrapping: client, policy: TrafficPolicy(maxConcurrent: args.concurrency), seed: args.seed)
        let local = try args.tokenizer.map { try LocalEvalModel(OpenedModel($0), template: args.template) }
        let model = RemoteEvalModel(client: throttled, model: rest, baseURL: endpoint.baseURL, local: local, concurrency: args.concurrency)
        return EvalModels(model: model, client: client)
    }

    /// The toxicity scorer by name: `perspective` (PERSPECTIVE_API_KEY) or `offline` (profanity-check's model).
    static func toxicityScorer(_ name: String, rate: Double) throws -> any ToxicityScorer {
        if name == "perspective" {
            guard let key = ProcessInfo.processInfo.environment["PERSPECTIVE_API_KEY"], !key.isEmpty else {
                throw ValidationError("--toxicity perspective needs PERSPECTIVE_API_KEY in the environment (or use --toxicity offline)")
            }
            return PerspectiveScorer(apiKey: key, requestsPerSecond: rate)
        }
        return try OfflineToxicityScorer.open()
    }
}
