// A loopback fake of the OpenAI Files and Batches endpoints (Hummingbird on 127.0.0.1, ephemeral port): it stores
// uploaded JSONL, answers each request line with a deterministic response and puts one line in an error file.
import Foundation
import Hummingbird
import MimicTeacher
import MimicTestSupport
import NIOCore

/// What the fake has seen and how it behaves.
actor FakeBatchState {
    var uploads: [String] = []           // uploaded file texts
    var uploadPurposes: [String] = []
    var authorizations: [String] = []
    var batchesCreated = 0
    var polls = 0
    var contentDownloads = 0
    /// Polls answered `in_progress` before `completed`.
    var pollsBeforeDone: Int
    /// The line (of each uploaded file) that goes to the error file.
    var failingIndex = 0
    var files: [String: String] = [:]
    var batches: [String: (input: String, polls: Int)] = [:]

    init(pollsBeforeDone: Int) { self.pollsBeforeDone = pollsBeforeDone }

    func setPollsBeforeDone(_ n: Int) { pollsBeforeDone = n }

    func setFailingIndex(_ n: Int) { failingIndex = n }

    func upload(body: String, authorization: String) -> String {
        authorizations.append(authorization)
        // Crude multipart parsing: the purpose field's value and the file part's content, between boundaries.
        if let range = body.range(of: "name=\"purpose\"\r\n\r\n"),
           let end = body[range.upperBound...].range(of: "\r\n") {
            uploadPurposes.append(String(body[range.upperBound..<end.lowerBound]))
        }
        var content = ""
        if let header = body.range(of: "filename="), let start = body[header.upperBound...].range(of: "\r\n\r\n"),
           let end = body[start.upperBound...].range(of: "\r\n--", options: .backwards) {
            content = String(body[start.upperBound..<end.lowerBound])
        }
        uploads.append(content)
        let id = "file-in-\(uploads.count)"
        files[id] = content
        return id
    }

    func createBatch(inputFileID: String) -> String {
        batchesCreated += 1
        let id = "batch_\(batchesCreated)"
        batches[id] = (inputFileID, 0)
        return id
    }

    /// The batch object JSON after one more poll.
    func poll(_ id: String) -> String? {
        polls += 1
        guard var batch = batches[id] else { return nil }
        batch.polls += 1
        batches[id] = batch
        guard batch.polls > pollsBeforeDone else {
            return #"{"id":"\#(id)","object":"batch","status":"in_progress","request_counts":{"total":0,"completed":0,"failed":0}}"#
        }
        let lines = (files[batch.input] ?? "").split(separator: "\n").map(String.init)
        var output: [String] = [], errors: [String] = []
        for (index, line) in lines.enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let customID = object["custom_id"] as? String,
                  let body = object["body"] as? [String: Any] else { continue }
            if index == failingIndex {
                errors.append(#"{"id":"r\#(index)","custom_id":"\#(customID)","response":{"status_code":400,"body":{"error":{"message":"bad request \#(index)","type":"invalid_request_error"}}},"error":null}"#)
            } else {
                output.append(Self.answerLine(customID: customID, body: body, index: index))
            }
        }
        files["file-out-\(id)"] = output.joined(separator: "\n") + "\n"
        files["file-err-\(id)"] = errors.joined(separator: "\n") + "\n"
        return #"{"id":"\#(id)","object":"batch","status":"completed","output_file_id":"file-out-\#(id)","error_file_id":"file-err-\#(id)","request_counts":{"total":\#(lines.count),"completed":\#(output.count),"failed":\#(errors.count)}}"#
    }

    /// The deterministic answer: echoes the last user message; usage 10 + index prompt, 5 completion tokens.
    static func answerLine(customID: String, body: [String: Any], index: Int) -> String {
        let messages = body["messages"] as? [[String: Any]] ?? []
        let last = messages.last?["content"] as? String ?? ""
        let model = body["model"] as? String ?? "?"
        let response: [String: Any] = [
            "id": "chatcmpl-\(index)", "object": "chat.completion", "created": 0, "model": model,
            "choices": [["index": 0, "message": ["role": "assistant", "content": "echo: " + last], "finish_reason": "stop"]],
            "usage": ["prompt_tokens": 10 + index, "completion_tokens": 5, "total_tokens": 15 + index],
        ]
        let line: [String: Any] = ["id": "r\(index)", "custom_id": customID,
                                   "response": ["status_code": 200, "request_id": "q\(index)", "body": response],
                                   "error": NSNull()]
        let data = (try? JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    func content(_ id: String) -> String? {
        contentDownloads += 1
        return files[id]
    }
}

/// Starts the fake on 127.0.0.1 (ephemeral port), runs `body` with its base URL (`http://127.0.0.1:PORT/v1`), stops it.
func withFakeBatchServer<T: Sendable>(_ state: FakeBatchState,
                                      _ body: @Sendable @escaping (String) async throws -> T) async throws -> T {
    let router = Router()
    @Sendable func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
    router.post("/v1/files") { request, _ -> Response in
        var request = request
        let bytes = try await request.collectBody(upTo: 16 << 20)
        let id = await state.upload(body: String(buffer: bytes), authorization: request.headers[.authorization] ?? "")
        return json(#"{"id":"\#(id)","object":"file","purpose":"batch"}"#)
    }
    router.post("/v1/batches") { request, _ -> Response in
        var request = request
        let bytes = try await request.collectBody(upTo: 1 << 20)
        let object = try JSONSerialization.jsonObject(with: Data(buffer: bytes)) as? [String: Any]
        guard let input = object?["input_file_id"] as? String, object?["endpoint"] as? String == "/v1/chat/completions",
              object?["completion_window"] as? String == "24h" else {
            return json(#"{"error":{"message":"bad batch","type":"invalid_request_error"}}"#, status: .badRequest)
        }
        let id = await state.createBatch(inputFileID: input)
        return json(#"{"id":"\#(id)","object":"batch","status":"validating"}"#)
    }
    router.get("/v1/batches/:id") { _, context -> Response in
        let id = context.parameters.get("id") ?? ""
        guard let text = await state.poll(id) else {
            return json(#"{"error":{"message":"no such batch","type":"not_found"}}"#, status: .notFound)
        }
        return json(text)
    }
    router.get("/v1/files/:id/content") { _, context -> Response in
        guard let text = await state.content(context.parameters.get("id") ?? "") else {
            return json(#"{"error":{"message":"no such file","type":"not_found"}}"#, status: .notFound)
        }
        return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
    return try await withLoopbackServer(router, label: "fake-batch-server") { port in
        try await body("http://127.0.0.1:\(port)/v1")
    }
}
