// Chat examples: which tokens are trained under each template, and every way a conversation is refused.
import Foundation
import MimicCore
import MimicModels
import MimicTokenizers
@testable import MimicTrain
import Testing

@Suite("Chat examples")
struct ChatExampleTests {
    static let chat = [
        ("system", "Be brief."), ("user", "What colour is the sky?"), ("assistant", "It is blue."),
        ("user", "And grass?"), ("assistant", "Green."),
    ]

    /// `chat` with one message's text replaced.
    static func edited(_ index: Int, _ from: String, _ to: String) -> Conversation {
        var turns = chat
        turns[index].1 = turns[index].1.replacingOccurrences(of: from, with: to)
        return conversation(turns)
    }

    @Test("ChatML: the replies and their <|im_end|> are trained; system, user and the assistant header are not")
    func chatml() throws {
        let tokenizer = try Fixtures.smolTokenizer()
        let example = try ChatExampleBuilder(tokenizer: tokenizer, template: .chatml).build(conversation(Self.chat))
        #expect(tokenizer.decode(example.tokens) == ChatTemplate.chatml.render(conversation(Self.chat).messages, addGenerationPrompt: false))
        #expect(trainedRuns(example, tokenizer) == ["It is blue.<|im_end|>", "Green.<|im_end|>"])

        let imEnd = try #require(tokenizer.tokenID("<|im_end|>"))
        let imStart = try #require(tokenizer.tokenID("<|im_start|>"))
        // <|im_end|> closes system, user, assistant, user, assistant: only the assistant's are trained.
        #expect(zip(example.tokens, example.trained).filter { $0.0 == imEnd }.map(\.1) == [false, false, true, false, true])
        #expect(zip(example.tokens, example.trained).allSatisfy { $0.0 != imStart || !$0.1 })
        // The header `<|im_start|>assistant\n` is context: untrained, and the reply starts right after it.
        let header = tokenizer.encode("<|im_start|>assistant\n", addBOS: false, parseSpecial: true)
        let starts = (0...(example.count - header.count)).filter { Array(example.tokens[$0..<$0 + header.count]) == header }
        #expect(starts.count == 2)
        for start in starts {
            #expect(example.trained[start..<start + header.count].allSatisfy { !$0 })
            #expect(example.trained[start + header.count])
        }
        // The model learns to emit <|im_end|> after each reply.
        #expect(example.targets.filter { $0 == imEnd }.count == 2)
        #expect(example.trainedCount == trainedLabels(example).count)
    }

    @Test("each template trains its replies and its end-of-turn marker", arguments: ChatTemplate.allCases)
    func templates(_ template: ChatTemplate) throws {
        let tokenizer = try byteTokenizer()
        let example = try ChatExampleBuilder(tokenizer: tokenizer, template: template).build(conversation(Self.chat))
        let expected: [String] = switch template {
        case .chatml: ["It is blue.<|im_end|>", "Green.<|im_end|>"]
        case .llama2: [" It is blue. </s>", " Green. </s>"]
        case .llama3: ["It is blue.<|eot_id|>", "Green.<|eot_id|>"]
        case .vicuna: [" It is blue.</s>", " Green.</s>"]
        }
        #expect(trainedRuns(example, tokenizer) == expected)
        let marker = try #require(tokenizer.tokenID(template.endOfTurn))
        #expect(example.targets.filter { $0 == marker }.count == 2)
        #expect(tokenizer.decode(example.tokens) == template.render(conversation(Self.chat).messages, addGenerationPrompt: false))
    }

    @Test("editing a reply changes the trained labels; editing a user turn does not", arguments: ChatTemplate.allCases)
    func labelsFollowReplies(_ template: ChatTemplate) throws {
        for tokenizer in [try byteTokenizer(), try Fixtures.smolTokenizer()] as [any Tokenizer] {
            let builder = ChatExampleBuilder(tokenizer: tokenizer, template: template)
            let original = try builder.build(conversation(Self.chat))
            let reply = try builder.build(Self.edited(2, "blue", "grey"))
            let user = try builder.build(Self.edited(1, "the sky", "a clear winter sky at noon"))
            let system = try builder.build(Self.edited(0, "brief", "very brief and kind"))
            #expect(trainedLabels(reply) != trainedLabels(original))
            #expect(trainedRuns(reply, tokenizer).first?.contains("grey") == true)
            #expect(user.tokens != original.tokens)
            #expect(trainedLabels(user) == trainedLabels(original))
            #expect(trainedRuns(user, tokenizer) == trainedRuns(original, tokenizer))
            #expect(trainedLabels(system) == trainedLabels(original))
        }
    }

    @Test("a model's default system prompt is rendered and not trained")
    func defaultSystemPrompt() throws {
        let tokenizer = try Fixtures.smolTokenizer()
        let format = try ChatFormat(jinja: tokenizer.chatTemplate, override: nil, source: "tokenizer_config.json")
        #expect(format.defaultSystemPrompt == "You are a small test assistant")
        let builder = ChatExampleBuilder(tokenizer: tokenizer, format: format)
        let example = try builder.build(conversation([("user", "Hi"), ("assistant", "Hello!")]))
        #expect(tokenizer.decode(example.tokens).hasPrefix("<|im_start|>system\nYou are a small test assistant<|im_end|>\n"))
        #expect(trainedRuns(example, tokenizer) == ["Hello!<|im_end|>"])
    }

    @Test("conversations with nothing to train are counted and reported with their line")
    func untrainable() throws {
        let url = try Fixtures.conversations("untrainable")
        let builder = ChatExampleBuilder(tokenizer: try Fixtures.smolTokenizer(), template: .chatml)
        let set = try builder.build(file: ConversationFile(url: url, policy: .skip))
        #expect(set.examples.map(\.source.line) == [1, 4])
        #expect(set.file.conversations == 4)
        #expect(set.summary.conversations == 4 && set.summary.examples == 2 && set.summary.noTrainedTokens == 2)
        #expect(set.summary.skipped == 2)
        #expect(set.summary.problems == [
            .noTrainedTokens(SourceLine(file: url.path, line: 2)), .noTrainedTokens(SourceLine(file: url.path, line: 3)),
        ])
        #expect(set.summary.tokens == set.examples.map(\.count).reduce(0, +))
        #expect(set.summary.trainedTokens == set.examples.map(\.trainedCount).reduce(0, +))
        let text = set.summary.problems[0].errorDescription ?? ""
        #expect(text.hasPrefix("\(url.path):2: ") && text.contains("no token is trained"))

        #expect(throws: ChatExampleError.noTrainedTokens(SourceLine(file: url.path, line: 2))) {
            _ = try builder.build(file: ConversationFile(url: url, policy: .fail))
        }
    }

    @Test("a token that spans the header and the reply is reported as misaligned, never labelled")
    func misaligned() throws {
        // "\n\n" is one token here, so "<|im_start|>assistant\n" + "\n\nIndented" tokenizes with a "\n\n" that
        // holds the header's last newline and the reply's first.
        let merging = try byteTokenizer(merges: [("Ċ", "Ċ")])
        let turns = [("user", "Show an indented reply."), ("assistant", "\n\nIndented reply.")]
        let builder = ChatExampleBuilder(tokenizer: merging, template: .chatml)
        let offset = "<|im_start|>user\nShow an indented reply.<|im_end|>\n<|im_start|>assistant\n".utf8.count
        #expect(throws: ChatExampleError.misaligned(SourceLine(file: "test", line: 7), message: 1, byteOffset: offset, token: "\\n\\n")) {
            _ = try builder.build(conversation(turns, line: 7))
        }
        // The piecewise check finds it as well.
        let (text, spans) = try builder.replySpans(conversation(turns, line: 7))
        let tokens = merging.encode(text, addBOS: false, parseSpecial: true)
        #expect(throws: ChatExampleError.self) {
            _ = try builder.labelsBySegments(tokens, Array(text.utf8), spans, SourceLine(file: "test", line: 7))
        }
        // Counted under .skip; other conversations still build.
        let (examples, summary) = try builder.build(
            [conversation(turns, line: 7), conversation([("user", "Plain?"), ("assistant", "Plain.")], line: 8)], policy: .skip)
        #expect(examples.map(\.source.line) == [8] && summary.misaligned == 1 && summary.problems.map(\.source.line) == [7])
        // A tokenizer without that merge cuts between the newlines, so the same reply is fine.
        let smol = try Fixtures.smolTokenizer()
        let example = try ChatExampleBuilder(tokenizer: smol, template: .chatml).build(conversation(turns))
        #expect(trainedRuns(example, smol) == ["\n\nIndented reply.<|im_end|>"])
    }

    @Test("byte offsets and piecewise encoding give the same labels", arguments: ChatTemplate.allCases)
    func twoWaysAgree(_ template: ChatTemplate) throws {
        let conversations = [
            conversation(Self.chat),
            conversation([("user", "Unicode: naïve café, 日本語?"), ("assistant", "Yes — naïve café, 日本語 ✓.")]),
            conversation([("assistant", "I speak first."), ("user", "Fine."), ("assistant", "  Spaced  out.  ")]),
        ]
        for tokenizer in [try byteTokenizer(), try Fixtures.smolTokenizer()] as [any Tokenizer] {
            let builder = ChatExampleBuilder(tokenizer: tokenizer, template: template)
            for conversation in conversations {
                let (text, spans) = try builder.replySpans(conversation)
                let tokens = tokenizer.encode(text, addBOS: false, parseSpecial: true)
                let byOffsets = try #require(try builder.labelsByOffsets(tokens, Array(text.utf8), spans, conversation.source))
                let bySegments = try builder.labelsBySegments(tokens, Array(text.utf8), spans, conversation.source)
                #expect(byOffsets == bySegments)
            }
        }
    }

    @Test("special-token text inside a reply is reported")
    func specialTokenInReply() throws {
        let tokenizer = try Fixtures.smolTokenizer()
        let builder = ChatExampleBuilder(tokenizer: tokenizer, template: .chatml)
        let turns = [("user", "How does ChatML end a turn?"), ("assistant", "With <|im_end|> after the text.")]
        #expect(throws: ChatExampleError.specialTokenInContent(SourceLine(file: "test", line: 3), message: 1, token: "<|im_end|>")) {
            _ = try builder.build(conversation(turns, line: 3))
        }
        // In a user turn it only changes the prompt, not the labels.
        _ = try builder.build(conversation([("user", "Explain <|im_end|>."), ("assistant", "It ends a turn.")]))
    }

    @Test("a template that renders a prefix differently is reported, not guessed")
    func templateMismatch() throws {
        let tokenizer = try Fixtures.smolTokenizer()
        let turns = [("assistant", "Hello, how can I help?"), ("user", "Hi.")]
        // The default system turn is inserted before a first assistant turn, but not before nothing.
        let withDefault = ChatExampleBuilder(tokenizer: tokenizer, template: .chatml, defaultSystemPrompt: "Be kind.")
        #expect {
            _ = try withDefault.build(conversation(turns, line: 5))
        } throws: { error in
            guard case .templateMismatch(let source, let message, _) = error as? ChatExampleError else { return false }
            return source.line == 5 && message == 0 && error.localizedDescription.contains("test:5: messages[0]")
        }
        let plain = try ChatExampleBuilder(tokenizer: tokenizer, template: .chatml).build(conversation(turns))
        #expect(trainedRuns(plain, tokenizer) == ["Hello, how can I help?<|im_end|>"])
    }
}

/// The runs of consecutive trained tokens of an example, each decoded.
func trainedRuns(_ example: ChatExample, _ tokenizer: any Tokenizer) -> [String] {
    var runs: [String] = []
    var current: [Int] = []
    for (token, trained) in zip(example.tokens, example.trained) {
        if trained {
            current.append(token)
        } else if !current.isEmpty {
            runs.append(tokenizer.decode(current, skipSpecial: false))
            current = []
        }
    }
    if !current.isEmpty { runs.append(tokenizer.decode(current, skipSpecial: false)) }
    return runs
}

/// The target ids an example trains on, in order.
func trainedLabels(_ example: ChatExample) -> [Int] { example.targets.filter { $0 != ignoreLabel } }
