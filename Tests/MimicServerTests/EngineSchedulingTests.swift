// The engine's continuous batching: a long prompt that arrives while another sequence decodes runs in pieces of
// `prefillChunk` tokens between that sequence's decode steps, cut at the same places whatever else runs; and a
// chunked prompt gives the same answer as a whole one.
import Foundation
@testable import MimicServer
import MimicModels
import MimicTensor
import MimicTestSupport
import Testing

@Suite struct EngineSchedulingTests {
    func job(_ prompt: [Int], maxTokens: Int) -> GenerationJob {
        GenerationJob(prompt: prompt, maxTokens: maxTokens, sampling: SamplingOptions(temperature: 0), stopStrings: [],
                      stopTokens: [])
    }

    /// Drains a request's events; returns its generated tokens.
    func drain(_ request: EngineRequest) async -> [Int] {
        var tokens: [Int] = []
        for await (_, event) in request.events {
            if case .token(let id, _, _) = event { tokens.append(id) }
        }
        return tokens
    }

    @Test func aLongPromptRunsInPiecesBetweenTheRunningSequencesSteps() async throws {
        let tokenizer = try TinyChatModel.open().requireTokenizer()
        let model = ScriptedModel(vocabularySize: tokenizer.vocabularySize, script: [5, 6, 7], fallback: 9, contextLength: 1 << 20)
        let engine = Engine(model: model, tokenizer: tokenizer, parallel: 4, prefillChunk: 8)
        // A decodes until cancelled; once it has its first token, B's 50-token prompt arrives.
        let a = try engine.submit([job([1, 2, 3], maxTokens: 1 << 20)])
        var aEvents = a.events.makeAsyncIterator()
        _ = await aEvents.next()
        let longPrompt = (0..<50).map { 10 + $0 % 40 }
        let b = try engine.submit([job(longPrompt, maxTokens: 2)])
        let bTokens = await drain(b)
        a.cancel()
        while await aEvents.next() != nil {}
        #expect(bTokens.count == 2)

        // B's prompt ran in pieces ending on multiples of 8, and A decoded (one-token calls) between every two.
        let calls = model.calls
        let bCalls = calls.indices.filter { $0 > 0 && calls[$0].count > 1 }  // call 0 is A's prompt
        #expect(bCalls.map { calls[$0].count } == [8, 8, 8, 8, 8, 8, 2], "\(bCalls.map { calls[$0].count })")
        #expect(Array(bCalls.flatMap { calls[$0] }) == longPrompt)
        for (i, j) in zip(bCalls, bCalls.dropFirst()) {
            #expect(calls[(i + 1)..<j].contains { $0.count == 1 }, "no decode step between prompt pieces at calls \(i) and \(j)")
        }
        engine.shutdown()
    }

    @Test func aPromptIsCutAtTheSamePlacesAloneAndWholeWithoutChunks() async throws {
        let tokenizer = try TinyChatModel.open().requireTokenizer()
        let prompt = (0..<21).map { 10 + $0 }
        for (chunk, expected) in [(8, [8, 8, 5]), (0, [21])] {
            let model = ScriptedModel(vocabularySize: tokenizer.vocabularySize, script: [5], fallback: 9, contextLength: 4096)
            let engine = Engine(model: model, tokenizer: tokenizer, parallel: 4, prefillChunk: chunk)
            let tokens = await drain(try engine.submit([job(prompt, maxTokens: 3)]))
            #expect(tokens.count == 3)
            #expect(model.calls.filter { $0.count > 1 }.map(\.count) == expected, "chunk \(chunk)")
            engine.shutdown()
        }
    }

    /// On a real model, greedy answers after a prompt run in pieces equal those after the whole prompt.
    @Test func aChunkedPromptGivesTheWholePromptsAnswer() async throws {
        let opened = try TinyChatModel.open()
        let tokenizer = try opened.requireTokenizer()
        let prompt = (0..<40).map { 3 + ($0 * 7) % (tokenizer.vocabularySize - 3) }
        var answers: [[Int]] = []
        for chunk in [0, 8, 16] {
            let engine = Engine(model: opened.model, tokenizer: tokenizer, parallel: 2, prefillChunk: chunk)
            answers.append(await drain(try engine.submit([job(prompt, maxTokens: 12)])))
            engine.shutdown()
        }
        #expect(answers[0].count == 12)
        #expect(answers[1] == answers[0] && answers[2] == answers[0], "\(answers)")
    }
}
