// Chat templates: exact renderings, names, recognition of Jinja templates, stop strings.
import MimicCore
import Testing
@testable import MimicTokenizers

@Suite("Chat templates")
struct ChatTemplateTests {
    static let conversation = [
        ChatMessage(role: "system", content: "Be brief."),
        ChatMessage(role: "user", content: "Hi!"),
        ChatMessage(role: "assistant", content: "Hello."),
        ChatMessage(role: "user", content: " What is 2+2? "),
    ]

    @Test("ChatML, with SmolLM2's default system message as an option")
    func chatml() {
        let user = [ChatMessage(role: "user", content: "Hi!")]
        #expect(ChatTemplate.chatml.render(user, addGenerationPrompt: true)
            == "<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n")
        #expect(ChatTemplate.chatml.render(user, addGenerationPrompt: false, defaultSystemPrompt: ChatTemplate.smolLM2DefaultSystemPrompt)
            == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            + "<|im_start|>user\nHi!<|im_end|>\n")
        #expect(ChatTemplate.chatml.render(Self.conversation, addGenerationPrompt: false, defaultSystemPrompt: "unused")
            .hasPrefix("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n"))
    }

    @Test("Llama 2")
    func llama2() {
        #expect(ChatTemplate.llama2.render(Self.conversation, addGenerationPrompt: true)
            == "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi! [/INST] Hello. </s><s>[INST] What is 2+2? [/INST]")
    }

    @Test("Llama 3")
    func llama3() {
        #expect(ChatTemplate.llama3.render(Array(Self.conversation.suffix(2)), addGenerationPrompt: true)
            == "<|begin_of_text|><|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n")
    }

    @Test("Vicuna USER:/GPT:")
    func vicuna() {
        #expect(ChatTemplate.vicuna.render(Self.conversation, addGenerationPrompt: true)
            == "Be brief. USER: Hi! GPT: Hello.</s>USER:  What is 2+2?  GPT:")
        #expect(ChatTemplate.vicuna.render([ChatMessage(role: "user", content: "Hi")], addGenerationPrompt: false)
            == "USER: Hi ")
    }

    @Test("names are case-insensitive; unknown names list the valid ones")
    func names() throws {
        #expect(try ChatTemplate(name: "ChatML") == .chatml)
        #expect(try ChatTemplate(name: "LLAMA3") == .llama3)
        #expect(try ChatTemplate(name: "llama2") == .llama2)
        #expect(try ChatTemplate(name: "user-gpt") == .vicuna)
        #expect(throws: ChatTemplateError.unknownName("alpaca")) { try ChatTemplate(name: "alpaca") }
        let message = ChatTemplateError.unknownName("alpaca").errorDescription ?? ""
        #expect(["chatml", "llama2", "llama3", "vicuna"].allSatisfy { message.contains($0) })
    }

    @Test("Jinja templates are recognised by their markers")
    func recognize() throws {
        let smol = try Fixtures.trained("smollm", withConfig: true)
        let jinja = try #require(smol.chatTemplate)
        #expect(try ChatTemplate.recognize(jinja: jinja) == .chatml)
        #expect(ChatTemplate.defaultSystemPrompt(jinja: jinja) == "You are a small test assistant")
        let llama3 = "{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\n\n' }}{% endfor %}"
        #expect(try ChatTemplate.recognize(jinja: llama3) == .llama3)
        #expect(try ChatTemplate.recognize(jinja: "{{ bos_token + '[INST] ' + content + ' [/INST]' }}") == .llama2)
        #expect(try ChatTemplate.recognize(jinja: "{% for m in messages %}{{ 'USER: ' + m.content }}{% endfor %}") == .vicuna)
        #expect(ChatTemplate.defaultSystemPrompt(jinja: "{{'<|im_start|>' + message['role'] + '\n'}}") == nil)
    }

    @Test("unknown Jinja is an error quoting its start and naming --template")
    func unrecognized() {
        let jinja = "{% for message in messages %}{{ '### Instruction:\\n' + message['content'] }}{% endfor %} and a long tail"
        #expect(throws: ChatTemplateError.unrecognized(excerpt: String(jinja.prefix(60)))) {
            try ChatTemplate.recognize(jinja: jinja)
        }
        let message = ChatTemplateError.unrecognized(excerpt: String(jinja.prefix(60))).errorDescription ?? ""
        #expect(message.contains("--template") && message.contains("### Instruction:"))
    }

    @Test("stop strings")
    func stops() {
        #expect(ChatTemplate.chatml.stopStrings.contains("<|im_end|>"))
        #expect(ChatTemplate.llama3.stopStrings.contains("<|eot_id|>"))
        #expect(ChatTemplate.llama2.stopStrings == ["</s>"])
        #expect(ChatTemplate.vicuna.stopStrings.contains("</s>"))
    }

    @Test("a rendered ChatML prompt encodes its markers as special ids")
    func encodeRendered() throws {
        let tokenizer = try Fixtures.trained("smollm")
        let text = ChatTemplate.chatml.render([ChatMessage(role: "user", content: "Hi")], addGenerationPrompt: true)
        let ids = tokenizer.encode(text, addBOS: false, parseSpecial: true)
        let start = try #require(tokenizer.tokenID("<|im_start|>"))
        let end = try #require(tokenizer.tokenID("<|im_end|>"))
        #expect(ids.filter { $0 == start }.count == 2 && ids.filter { $0 == end }.count == 1)
        #expect(tokenizer.decode(ids) == text)
    }
}
