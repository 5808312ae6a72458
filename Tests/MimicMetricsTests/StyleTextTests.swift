// The per-reply style tests on their edge cases (fences, list markers, paragraphs, openings, white space), Pearson's r,
// the percentile, and the style metrics' scores, counts and missing intervals.
import Foundation
import MimicMetrics
import Testing

@Suite struct StyleTextTests {
    @Test func fencedBlocksAreRemovedUpToTheNextFenceOrTheEnd() {
        let lines = { (text: String) in StyleText.linesOutsideCode(text).map { String(String.UnicodeScalarView($0)) } }
        #expect(lines("a\n```swift\ncode\n```\nb") == ["a", "b"])
        #expect(lines("a\n  ```\ncode\n\t```\nb\n```\nnever closed\n- x") == ["a", "b"])
        #expect(lines("use ```x``` inline\n~~~\nc") == ["use ```x``` inline", "~~~", "c"])
        #expect(lines("") == [""])
    }

    @Test func aListIsTwoListLinesOutsideCode() {
        #expect(StyleText.hasList("- one\n- two"))
        #expect(!StyleText.hasList("- only one\nprose after it"))
        #expect(StyleText.hasList("1) first\n2) second") && StyleText.hasList("9. nine\n10. ten"))
        #expect(StyleText.hasList("\u{2022} dot\n+ plus") && StyleText.hasList("  * star\n\t- tab"))
        #expect(StyleText.hasList("\u{661}. first\n\u{662}. second"), "any decimal digit, as Python's \\d")
        #expect(!StyleText.hasList("```\n- a\n- b\n```"))
        #expect(!StyleText.hasList("- a\n```\n- b"), "the second line is inside an unclosed fence")
        #expect(StyleText.hasList("- a\n```\ncode\n```\n- b"))
        #expect(!StyleText.hasList("-a\n-b") && !StyleText.hasList("1.5 kg\n2.5 kg") && !StyleText.hasList("- \n-   \n1. "))
        #expect(!StyleText.hasList("*bold* text\n*more* text") && !StyleText.hasList("a) x\nb) y"))
        #expect(StyleText.hasList("- a\r\n- b\r\n"), "CRLF")
    }

    @Test func aSummaryIsTheLastOfTwoOrMoreParagraphsOpeningWithAPhrase() {
        for opening in StyleText.summaryOpenings {
            #expect(StyleText.endsWithSummary("Body.\n\n\(opening.capitalized), done."), "\(opening)")
        }
        #expect(!StyleText.endsWithSummary("In summary, a single paragraph."))
        #expect(!StyleText.endsWithSummary("Body.\nIn summary, no blank line between."))
        #expect(StyleText.endsWithSummary("Body.\n \t \nIn summary, a white-space line between."))
        #expect(StyleText.endsWithSummary("Body.\n\n## Overall, a heading.") && StyleText.endsWithSummary("Body.\n\n> In summary, quoted."))
        #expect(StyleText.endsWithSummary("Body.\n\n**In short**: bold.") && StyleText.endsWithSummary("Body.\n\n#\nOverall on the next line."))
        #expect(StyleText.endsWithSummary("\n\nBody.\n\nULTIMATELY, yes.\n\n\n"), "blank lines at either end make no paragraph")
        #expect(!StyleText.endsWithSummary("Body.\n\n```\nIn summary, code.\n```"))
        #expect(!StyleText.endsWithSummary("One.\n\nTwo\n```\nx\n```\nIn short, joined to Two."), "fence lines are removed, not blanked")
        #expect(!StyleText.endsWithSummary("Body.\n\nFinally, the end.") && !StyleText.endsWithSummary("Body.\n\nSo overall, no."))
        #expect(!StyleText.endsWithSummary("Body.\n\n\u{130}n summary"), "İ lowers to i + U+0307, as in Python")
        #expect(!StyleText.endsWithSummary("") && !StyleText.endsWithSummary(" \n\t\n"))
    }

    @Test func wordsAreSplitOnPythonWhiteSpace() {
        #expect(StyleText.wordCount("one\u{A0}two\u{3000}three\u{1C}four  five\n") == 5)
        #expect(StyleText.wordCount("") == 0 && StyleText.wordCount(" \t\n") == 0)
        #expect(StyleText.wordCount("zero\u{200B}width") == 1, "U+200B is not white space")
    }

    @Test func pearsonAndPercentile() throws {
        #expect(StyleMetrics.pearson([1, 2, 3], [2, 4, 6]) == 1 && StyleMetrics.pearson([1, 2, 3], [3, 2, 1]) == -1)
        // x = 1, 2, 3, 4; y = 1, 3, 2, 5: sxy = 5.5, sxx = 5, syy = 8.75.
        let r = try #require(StyleMetrics.pearson([1, 2, 3, 4], [1, 3, 2, 5]))
        #expect(abs(r - 5.5 / (5 * 8.75).squareRoot()) < 1e-15)
        #expect(StyleMetrics.pearson([1, 1, 1], [1, 2, 3]) == nil && StyleMetrics.pearson([1], [2]) == nil)
        #expect(Bootstrap.percentile([1, 2, 3, 4], 0.5) == 2.5 && Bootstrap.percentile([5], 0.975) == 5)
        #expect(abs(Bootstrap.percentile((0..<1000).map(Double.init), 0.025) - 24.975) < 1e-9)
    }

    @Test func matchMetricsScoreOnlyItemsWhoseReferenceHasTheFeature() throws {
        let list = FeatureMatchMetric(.list), summary = FeatureMatchMetric(.summary)
        #expect(list.reportName == "list_match" && summary.reportName == "summary_match")
        #expect(try list.score(MetricItem(answer: "- a\n- b", target: "- c\n- d"))?.value == 100)
        #expect(try list.score(MetricItem(answer: "prose", target: "- c\n- d"))?.value == 0)
        #expect(try list.score(MetricItem(answer: "- a\n- b", target: "prose")) == nil)
        #expect(try summary.score(MetricItem(answer: "x", target: "a\n\nOverall, b"))?.value == 0)
        #expect(throws: MetricError.unscorable("the item has no reference answer")) { try list.score(MetricItem(answer: "x")) }
        let length = LengthCorrelationMetric()
        let scores = try [("a b", "a"), ("a b c d", "a b c"), ("a", "a b")].map { try #require(try length.score(MetricItem(answer: $0.0, target: $0.1))) }
        #expect(scores.map(\.statistics) == [[2, 1], [4, 3], [1, 2]])
        #expect(length.aggregate(scores) == StyleMetrics.pearson([2, 4, 1], [1, 3, 2]))
    }

    @Test func figuresSayWhyAValueOrIntervalIsMissing() throws {
        let noLists = try StyleMetrics.figures([("a", "b"), ("c", "d")], resamples: 100, seed: 1)
        #expect(noLists.listMatch == MetricFigure(value: nil, n: 0, note: "no item to score"))
        #expect(noLists.lengthCorrelation.value == nil && noLists.lengthCorrelation.note == "undefined on these items")
        #expect(noLists.unigramIntersection.value == 0 && noLists.unigramIntersection.n == 2 && noLists.unigramIntersection.interval != nil)
        let one = try StyleMetrics.figures([("a b", "a c")], resamples: 100, seed: 1)
        #expect(one.unigramIntersection.value == 50 && one.unigramIntersection.interval == nil)
        let none = try StyleMetrics.figures([("a b", "a c"), ("x", "x")], resamples: 0, seed: 1)
        #expect(none.unigramIntersection.value == 75 && none.unigramIntersection.interval == nil && none.unigramIntersection.note == nil)
    }
}
