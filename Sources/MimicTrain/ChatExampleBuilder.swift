// ChatExampleBuilder: renders conversations with a chat template, tokenizes them, and marks the assistant's tokens as trained.
import Foundation
import MimicCore
import MimicModels
import MimicTokenizers

extension ChatTemplate {
    /// The text that closes an assistant turn and is trained with it: `<|im_end|>` (chatml), `</s>` (llama2, vicuna),
    /// `<|eot_id|>` (llama3).
    public var endOfTurn: String {
        switch self {
        case .chatml: return "<|im_end|>"
        case .llama2, .vicuna: return "</s>"
        case .llama3: return "<|eot_id|>"
        }
    }
}

/// Examples built from a conversation file, with what the file and the building found.
public struct ChatExampleSet: Sendable {
    /// The examples, in file order.
    public var examples: [ChatExample]
    /// Lines read, blank and bad lines.
    public var file: ConversationFileReport
    /// Outcomes of building.
    public var summary: ChatExampleSummary
    /// One per example: the tokens of its messages' contents (no template), counted as `TokenCounter` counts them
    /// for `mimic data subset --tokenizer`, the unit of `mimic train --max-tokens`.
    public var contentTokens: [Int] = []
}

/// Turns conversations into `ChatExample`s: token ids and a loss mask that trains on the assistant's replies.
///
/// How the mask is found. The conversation is rendered whole, and each trained assistant reply is located in that
/// text by rendering prefixes: the reply starts where the rendering of the turns before it *with the generation
/// prompt* (`<|im_start|>assistant\n`) ends, and ends after the last end-of-turn marker (`ChatTemplate.endOfTurn`)
/// in the rendering through the reply. The whole text is encoded once (`addBOS: false, parseSpecial: true`: the
/// templates write their own BOS text); each token's byte range comes from `Tokenizer.tokenBytes`, and every reply's
/// start and end must fall between two tokens. If one falls inside a token (the template text and the reply merge
/// when tokenized together) the conversation is reported as `misaligned`, never labelled approximately. When the
/// tokens do not spell the text byte for byte (a normalizing tokenizer, added tokens that strip spaces), the pieces
/// between boundaries are encoded one by one instead, and must give exactly the tokens of the whole.
public struct ChatExampleBuilder: Sendable {
    /// The tokenizer.
    public let tokenizer: any Tokenizer
    /// The chat format.
    public let template: ChatTemplate
    /// The system prompt the template inserts when a conversation has none (SmolLM2 does); nil for none.
    public let defaultSystemPrompt: String?

    /// A builder for `template` (with its default system prompt, if the model's template has one).
    public init(tokenizer: any Tokenizer, template: ChatTemplate, defaultSystemPrompt: String? = nil) {
        self.tokenizer = tokenizer
        self.template = template
        self.defaultSystemPrompt = defaultSystemPrompt
    }

    /// A builder for a model's chat format.
    public init(tokenizer: any Tokenizer, format: ChatFormat) {
        self.init(tokenizer: tokenizer, template: format.template, defaultSystemPrompt: format.defaultSystemPrompt)
    }

    /// Builds one example, or throws the `ChatExampleError` that says why it cannot be trained on.
    public func build(_ conversation: Conversation) throws -> ChatExample {
        let (text, spans) = try replySpans(conversation)
        guard !spans.isEmpty else { throw ChatExampleError.noTrainedTokens(conversation.source) }
        let tokens = tokenizer.encode(text, addBOS: false, parseSpecial: true)
        let bytes = Array(text.utf8)
        let trained = try labelsByOffsets(tokens, bytes, spans, conversation.source)
            ?? labelsBySegments(tokens, bytes, spans, conversation.source)
        let example = ChatExample(tokens: tokens, trained: trained, source: conversation.source)
        guard example.trainedCount > 0 else { throw ChatExampleError.noTrainedTokens(conversation.source) }
        return example
    }

    /// Builds examples from conversations; problems are counted and kept in the summary (policy `.skip`) or thrown
    /// at the first (`.fail`).
    public func build(_ conversations: some Sequence<Conversation>, policy: BadInputPolicy)
        throws -> (examples: [ChatExample], summary: ChatExampleSummary)
    {
        var examples: [ChatExample] = []
        var summary = ChatExampleSummary()
        for conversation in conversations {
            if let example = try build(conversation, policy: policy, summary: &summary) { examples.append(example) }
        }
        return (examples, summary)
    }

    /// Streams a conversation file into examples; its policy applies to bad lines and to unusable conversations.
    public func build(file: ConversationFile) throws -> ChatExampleSet {
        var examples: [ChatExample] = []
        var contentTokens: [Int] = []
        var summary = ChatExampleSummary()
        let counter = TokenCounter.tokenizer(tokenizer, name: "model")
        let report = try file.forEach { conversation in
            if let example = try build(conversation, policy: file.policy, summary: &summary) {
                examples.append(example)
                contentTokens.append(counter.tokens(of: conversation.messages))
            }
        }
        return ChatExampleSet(examples: examples, file: report, summary: summary, contentTokens: contentTokens)
    }

    private func build(_ conversation: Conversation, policy: BadInputPolicy, summary: inout ChatExampleSummary) throws
        -> ChatExample?
    {
        do {
            let example = try build(conversation)
            summary.record(example)
            return example
        } catch let problem as ChatExampleError {
            if policy == .fail { throw problem }
            summary.record(problem)
            return nil
        }
    }

    // MARK: Locating replies

    /// A trained reply in the rendering, as byte offsets: `[start, contentEnd)` the reply, `[contentEnd, end)` its
    /// end-of-turn marker.
    struct ReplySpan: Equatable {
        var message: Int
        var start: Int
        var contentEnd: Int
        var end: Int
    }

    /// The whole rendering and the byte spans of its trained replies, in order.
    func replySpans(_ conversation: Conversation) throws -> (text: String, spans: [ReplySpan]) {
        let messages = conversation.messages
        let text = render(messages, generationPrompt: false)
        let whole = Array(text.utf8)
        let marker = Array(template.endOfTurn.utf8)
        var spans: [ReplySpan] = []
        for index in messages.indices where messages[index].role == "assistant" && conversation.trainedTurns[index] {
            let before = Array(render(Array(messages[..<index]), generationPrompt: true).utf8)
            let through = Array(render(Array(messages[...index]), generationPrompt: false).utf8)
            guard through.starts(with: before), whole.starts(with: through) else {
                throw ChatExampleError.templateMismatch(
                    conversation.source, message: index,
                    reason: "the turns before it, rendered alone, are not the start of the whole rendering")
            }
            guard let markerStart = lastOccurrence(of: marker, in: through, from: before.count) else {
                throw ChatExampleError.templateMismatch(
                    conversation.source, message: index, reason: "no \"\(template.endOfTurn)\" closes it")
            }
            spans.append(ReplySpan(message: index, start: before.count, contentEnd: markerStart, end: markerStart + marker.count))
        }
        return (text, spans)
    }

    private func render(_ messages: [ChatMessage], generationPrompt: Bool) -> String {
        template.render(messages, addGenerationPrompt: generationPrompt, defaultSystemPrompt: defaultSystemPrompt)
    }

    private func lastOccurrence(of needle: [UInt8], in haystack: [UInt8], from lower: Int) -> Int? {
        guard !needle.isEmpty, haystack.count - needle.count >= lower else { return nil }
        for start in stride(from: haystack.count - needle.count, through: lower, by: -1)
        where haystack[start..<start + needle.count].elementsEqual(needle) {
            return start
        }
        return nil
    }

    // MARK: Labels

    /// Labels from each token's byte range; nil when the tokens do not spell the text byte for byte.
    func labelsByOffsets(_ tokens: [Int], _ bytes: [UInt8], _ spans: [ReplySpan], _ source: SourceLine) throws -> [Bool]? {
        var offsets = [0]
        offsets.reserveCapacity(tokens.count + 1)
        for token in tokens {
            let piece = tokenizer.tokenBytes(token)
            let at = offsets[offsets.count - 1]
            guard at + piece.count <= bytes.count, bytes[at..<at + piece.count].elementsEqual(piece) else { return nil }
            offsets.append(at + piece.count)
        }
        guard offsets.last == bytes.count else { return nil }
        var trained = [Bool](repeating: false, count: tokens.count)
        for span in spans {
            for edge in [span.start, span.end] {
                let k = partition(offsets, edge)  // first offset >= edge
                if k < offsets.count && offsets[k] == edge { continue }
                let token = tokens[k - 1]
                throw ChatExampleError.misaligned(source, message: span.message, byteOffset: edge, token: shown(token))
            }
            let first = partition(offsets, span.start)
            let last = partition(offsets, span.end)  // tokens first..<last lie in the span
            for k in first..<last {
                trained[k] = true
                if offsets[k + 1] <= span.contentEnd && tokenizer.isSpecial(tokens[k]) {
                    throw ChatExampleError.specialTokenInContent(source, message: span.message, token: shown(tokens[k]))
                }
            }
        }
        return trained
    }

    /// Labels from encoding the text piece by piece (context, reply, context, …); the pieces' tokens must be
    /// exactly the whole's.
    func labelsBySegments(_ tokens: [Int], _ bytes: [UInt8], _ spans: [ReplySpan], _ source: SourceLine) throws -> [Bool] {
        func encode(_ range: Range<Int>) -> [Int] {
            tokenizer.encode(String(decoding: bytes[range], as: UTF8.self), addBOS: false, parseSpecial: true)
        }
        func misaligned(_ span: ReplySpan, _ pieced: [Int], replyStartsAt: Int) -> ChatExampleError {
            let k = zip(tokens, pieced).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(tokens.count, pieced.count)
            let edge = k < replyStartsAt ? span.start : span.end
            let token = k < tokens.count ? shown(tokens[k]) : "(end of text)"
            return .misaligned(source, message: span.message, byteOffset: edge, token: token)
        }
        let markerCount = tokenizer.encode(template.endOfTurn, addBOS: false, parseSpecial: true).count
        var pieced: [Int] = []
        var trained: [Bool] = []
        var at = 0
        for span in spans {
            let context = encode(at..<span.start)
            pieced += context
            trained += [Bool](repeating: false, count: context.count)
            let reply = encode(span.start..<span.end)
            if let special = reply.dropLast(markerCount).first(where: tokenizer.isSpecial) {
                throw ChatExampleError.specialTokenInContent(source, message: span.message, token: shown(special))
            }
            let replyStartsAt = pieced.count
            pieced += reply
            trained += [Bool](repeating: true, count: reply.count)
            guard tokens.starts(with: pieced) else { throw misaligned(span, pieced, replyStartsAt: replyStartsAt) }
            at = span.end
        }
        pieced += encode(at..<bytes.count)
        trained += [Bool](repeating: false, count: pieced.count - trained.count)
        if pieced != tokens, let span = spans.last { throw misaligned(span, pieced, replyStartsAt: 0) }
        return trained
    }

    /// The index of the first offset >= `value` (offsets are sorted).
    private func partition(_ offsets: [Int], _ value: Int) -> Int {
        var low = 0
        var high = offsets.count
        while low < high {
            let mid = (low + high) / 2
            if offsets[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// A token's text for messages, with newlines and tabs escaped.
    private func shown(_ token: Int) -> String {
        tokenizer.decode([token], skipSpecial: false)
            .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t")
    }
}
