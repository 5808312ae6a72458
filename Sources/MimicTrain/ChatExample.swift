// ChatExample: a rendered, tokenized conversation with a per-token "trained" flag, and why a conversation can fail to become one.
import Foundation

/// A conversation rendered with a chat template and tokenized, with a loss mask.
///
/// `trained[t]` says whether token t is a target of the loss: the tokens of the assistant's replies and of the
/// end-of-turn marker that closes each (`<|im_end|>`, `<|eot_id|>`, `</s>`). System and user turns, role headers,
/// the assistant's header (`<|im_start|>assistant\n`) and other template markup are context only.
public struct ChatExample: Sendable, Equatable, Codable {
    /// Token ids of the whole rendering.
    public var tokens: [Int]
    /// One flag per token: trained on or not.
    public var trained: [Bool]
    /// The line the conversation came from.
    public var source: SourceLine

    /// Creates an example (`trained.count == tokens.count`).
    public init(tokens: [Int], trained: [Bool], source: SourceLine) {
        precondition(tokens.count == trained.count, "one trained flag per token")
        self.tokens = tokens
        self.trained = trained
        self.source = source
    }

    /// Number of tokens.
    public var count: Int { tokens.count }
    /// Number of trained tokens.
    public var trainedCount: Int { trained.reduce(0) { $0 + ($1 ? 1 : 0) } }

    /// Next-token targets: `targets[t] = tokens[t + 1]` when token t + 1 is trained, else `ignoreLabel`
    /// (the last position has no next token and is ignored).
    public var targets: [Int] {
        var out = [Int](repeating: ignoreLabel, count: tokens.count)
        for t in 0..<max(tokens.count - 1, 0) where trained[t + 1] { out[t] = tokens[t + 1] }
        return out
    }
}

/// Why a conversation did not become a training example.
public enum ChatExampleError: LocalizedError, Equatable, Sendable {
    /// No token is trained on: the conversation has no assistant turn (or only ones with weight 0).
    case noTrainedTokens(SourceLine)
    /// A boundary of assistant message `message` (its start, or the end of its end-of-turn marker) falls inside a
    /// token of the whole rendering: the template text and the content merge when tokenized together, so no
    /// labelling at token boundaries would be right. `token` is that token's text.
    case misaligned(SourceLine, message: Int, byteOffset: Int, token: String)
    /// The template does not render this conversation so that the assistant's text can be located: the rendering of
    /// the turns before message `message` is not a prefix of the whole, or the end-of-turn marker is missing.
    case templateMismatch(SourceLine, message: Int, reason: String)
    /// The assistant's content contains the text of a special token (`<|im_end|>`, `</s>`), which the rendering
    /// turns into that token: training would teach the model to emit it mid-reply.
    case specialTokenInContent(SourceLine, message: Int, token: String)

    /// Where the conversation came from.
    public var source: SourceLine {
        switch self {
        case .noTrainedTokens(let source), .misaligned(let source, _, _, _), .templateMismatch(let source, _, _),
             .specialTokenInContent(let source, _, _):
            return source
        }
    }

    /// A one-line description naming the file, line and message, with a hint.
    public var errorDescription: String? {
        switch self {
        case .noTrainedTokens(let source):
            return "\(source): messages: no token is trained on (no assistant reply, or every reply has weight 0); "
                + "drop the line or add an assistant turn."
        case .misaligned(let source, let message, let offset, let token):
            return "\(source): messages[\(message)].content: the edge of the assistant's reply at byte \(offset) of the "
                + "rendering falls inside token \"\(token)\", so the loss mask cannot follow it; trim leading or trailing "
                + "whitespace from the reply, or use another template."
        case .templateMismatch(let source, let message, let reason):
            return "\(source): messages[\(message)]: the template cannot place this reply (\(reason)); "
                + "add a system message first, or use another template."
        case .specialTokenInContent(let source, let message, let token):
            return "\(source): messages[\(message)].content: the reply contains the special token \"\(token)\" as text; "
                + "remove it from the data (it would be trained as a control token)."
        }
    }
}

/// What building examples found: a count for each outcome, and the first problems.
public struct ChatExampleSummary: Sendable, Equatable {
    /// Conversations seen.
    public var conversations = 0
    /// Examples built.
    public var examples = 0
    /// Conversations with no trained token.
    public var noTrainedTokens = 0
    /// Conversations whose assistant spans do not fall at token boundaries.
    public var misaligned = 0
    /// Conversations the template cannot place a reply in.
    public var templateMismatch = 0
    /// Conversations whose replies contain special-token text.
    public var specialTokenInContent = 0
    /// Tokens in the examples built.
    public var tokens = 0
    /// Trained tokens in the examples built.
    public var trainedTokens = 0
    /// The first `reportLimit` problems, each naming its line.
    public var problems: [ChatExampleError] = []

    /// How many problems are kept in `problems` (all are counted).
    public static let reportLimit = 1000

    /// An empty summary.
    public init() {}

    /// Conversations skipped, for any reason.
    public var skipped: Int { noTrainedTokens + misaligned + templateMismatch + specialTokenInContent }

    /// Counts an example built.
    mutating func record(_ example: ChatExample) {
        conversations += 1
        examples += 1
        tokens += example.count
        trainedTokens += example.trainedCount
    }

    /// Counts a conversation skipped.
    mutating func record(_ problem: ChatExampleError) {
        conversations += 1
        switch problem {
        case .noTrainedTokens: noTrainedTokens += 1
        case .misaligned: misaligned += 1
        case .templateMismatch: templateMismatch += 1
        case .specialTokenInContent: specialTokenInContent += 1
        }
        if problems.count < Self.reportLimit { problems.append(problem) }
    }
}
