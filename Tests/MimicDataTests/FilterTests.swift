// Length bounds in tokens and the coding-prompt rules, the latter measured on a small hand-labelled sample.
import Foundation
import MimicCore
import MimicData
import MimicTokenizers
import Testing

@Suite struct FilterTests {
    @Test func lengthBoundsCountWordsOfTheWholeConversation() {
        let records = [
            conversation("one two", answer: "three", source: "a"),          // 3 words
            conversation("one two three four", answer: "five six", source: "b"),  // 6
            conversation("x", answer: String(repeating: "w ", count: 20), source: "c"),  // 21
        ]
        let result = LengthFilter.run(records, minTokens: 4, maxTokens: 10)
        #expect(result.kept.map { $0.meta.source } == ["b"])
        #expect(result.report.removed == ["too-short": 1, "too-long": 1])
        let byQuery = LengthFilter.run(records, minTokens: 2, scope: .query)
        #expect(byQuery.kept.map { $0.meta.source } == ["a", "b"])
        #expect(TokenCounter.words("  hello\tbig \n world ") == 3)
    }

    @Test func customCounterIsUsed() {
        let chars = TokenCounter(name: "chars") { $0.count }
        let result = LengthFilter.run([conversation("abcd", answer: "ef")], maxTokens: 5, counter: chars)
        #expect(result.kept.isEmpty && result.report.details["counter"] == .string("chars"))
    }

    static let coding = [
        "Write a Python function that returns the nth Fibonacci number.",
        "Can you help me fix this code?\n```js\nconst x = 1\n```",
        "Traceback (most recent call last):\n  File \"a.py\", line 3\nTypeError: unsupported operand",
        "How do I reverse an array in JavaScript?",
        "create a bash script to back up my home folder every night",
        "I get NullPointerException when I call getName() on my object, why?",
        "def add(a, b):\n    return a + b\nwhy does this return None sometimes in python",
        "Implement quicksort in C++ with comments.",
        "Give me a SQL query that lists customers with more than 3 orders.",
        "What does this regex do: ^[a-z]+@[a-z]+\\.com$ ?",
        "Write a React component that shows a counter.",
        "Explain the difference between a class and an object in Java programming.",
        "convert this loop into a list comprehension: for x in xs: ys.append(x*2)",
        "generate unit tests for my login API endpoint",
        "#include <stdio.h>\nint main() { printf(\"hi\"); }\nwhy doesn't this compile?",
        "How can I merge two pandas dataframes on a column?",
        "Optimize this algorithm for finding duplicates in a list",
        "Write a program that prints the prime numbers below 100.",
        "My Rust code fails with a borrow checker error, what does it mean?",
        "Debug this: console.log(user.name) prints undefined",
    ]

    static let notCoding = [
        "Write a poem about the sea at night.",
        "What is the capital of Australia?",
        "Give me three tips to sleep better.",
        "Summarize the plot of Hamlet in a paragraph.",
        "I visited Java and Bali last year; what should I see next time in Indonesia?",
        "How do I remove rust from an old bicycle chain?",
        "Write a cover letter for a nursing job.",
        "Translate 'good morning' into Spanish.",
        "What are the health benefits of green tea?",
        "Draft an email asking my landlord to fix the heating.",
        "Explain how vaccines train the immune system.",
        "Create a weekly meal plan for a vegetarian.",
        "Who won the 2018 football world cup?",
        "Tell me a joke about cats.",
        "What is the difference between weather and climate?",
        "Write a short story about a robot who learns to paint.",
        "How can I improve my public speaking skills?",
        "List five famous paintings by Monet.",
        "What is the best way to learn a new language as an adult?",
        "Plan a three-day trip to Rome with a small budget.",
    ]

    @Test func codingRulesHaveHighPrecisionOnALabelledSample() {
        let flagged = Self.coding.filter(CodingPromptFilter.isCoding)
        let falseAlarms = Self.notCoding.filter(CodingPromptFilter.isCoding)
        let precision = Double(flagged.count) / Double(flagged.count + falseAlarms.count)
        let recall = Double(flagged.count) / Double(Self.coding.count)
        #expect(falseAlarms.isEmpty, "non-coding prompts flagged: \(falseAlarms)")
        #expect(precision >= 0.95)
        #expect(recall >= 0.9, "coding prompts missed: \(Self.coding.filter { !CodingPromptFilter.isCoding($0) })")
    }

    @Test func dropCodeReportsTheRule() {
        let records = [conversation("Write a function to sort a list", source: "a"), conversation("Tell me a joke", source: "b"),
                       conversation("```\nls -la\n```", source: "c")]
        let result = CodingPromptFilter.run(records)
        #expect(result.kept.map { $0.meta.source } == ["b"])
        #expect(result.report.removed == ["coding:code-request": 1, "coding:code-fence": 1])
    }
}
