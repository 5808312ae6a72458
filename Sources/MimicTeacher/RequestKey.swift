// The cache key of a request: SHA-256 of the endpoint, the request's canonical JSON (model, messages, parameters;
// not `stream`, which does not change the answer; a toxicity request's body) and the sample index.
import Foundation
import MimicCore

/// Request hashes: equal requests give equal keys on every machine and run.
public enum RequestKey {
    /// The key of a chat completion request to `endpoint` (base URL and path) for sample `sampleIndex`.
    public static func chat(endpoint: String, request: ChatCompletionRequest, sampleIndex: Int) -> String {
        var canonical = request
        canonical.stream = nil
        canonical.streamOptions = nil
        return hash(endpoint: endpoint, body: canonical, sampleIndex: sampleIndex)
    }

    /// The key of a completions request.
    public static func completion(endpoint: String, request: CompletionRequest, sampleIndex: Int) -> String {
        var canonical = request
        canonical.stream = nil
        return hash(endpoint: endpoint, body: canonical, sampleIndex: sampleIndex)
    }

    /// The key of any other JSON request to `endpoint` (a toxicity score): the body as sent, which must not hold
    /// the API key (so the key can change without losing the cache).
    public static func json<T: Encodable>(endpoint: String, body: T) -> String {
        hash(endpoint: endpoint, body: body, sampleIndex: 0)
    }

    static func hash<T: Encodable>(endpoint: String, body: T, sampleIndex: Int) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these value types cannot fail (no custom throwing encoders, no non-finite floats reach here
        // except through user parameters, which JSONEncoder rejects: fall back to their description then).
        let json = (try? encoder.encode(body)) ?? Data(String(describing: body).utf8)
        var bytes = Data("mimic-request-v1\n\(endpoint)\n\(sampleIndex)\n".utf8)
        bytes.append(json)
        return SHA256.hex(bytes)
    }
}
