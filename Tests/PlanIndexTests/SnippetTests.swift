import Testing
@testable import PlanIndex

@Suite("Snippets cut at scalar offsets")
struct SnippetTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var text: String
        var matches: [Range<Int>]
        var length: Int
        var testDescription: String { "\(text.prefix(12))… \(matches)" }
    }

    // Scalars of one to four UTF-8 bytes (ASCII, é, 国, 𠀀), and a match at the start, in the
    // middle and at the end of the text.
    static let mixed = String(repeating: "ab é国𠀀 ", count: 40)
    static let cases: [Case] = [
        Case(text: mixed, matches: [0..<3], length: 20),
        Case(text: mixed, matches: [101..<104, 110..<112], length: 20),
        Case(text: mixed, matches: [237..<240], length: 20),
        Case(text: mixed, matches: [], length: 30),
        Case(text: "国际贸易中心", matches: [2..<4], length: 10),  // shorter than the window: whole
        Case(text: String(repeating: "发展", count: 100) + "必不可少", matches: [200..<204], length: 50),
    ]

    @Test("the snippet is the window of the text's scalars, and each highlight covers the scalars it matched", arguments: cases)
    func window(_ c: Case) {
        let scalars = Array(c.text.unicodeScalars)
        for count in [nil, scalars.count] {
            let snippet = Snippet.make(text: c.text, count: count, matches: c.matches, length: c.length)
            var shown = Array(snippet.text.unicodeScalars)
            let leading = shown.first == "…" && scalars.first != "…"
            if leading { shown.removeFirst() }
            if shown.count > c.length { shown.removeLast() }  // the trailing ellipsis
            let start = c.matches.isEmpty || scalars.count <= c.length ? 0
                : max(0, min(c.matches[0].lowerBound - c.length / 4, scalars.count - c.length))
            #expect(shown == Array(scalars[start..<min(scalars.count, start + shown.count)]))
            #expect(shown.count == min(scalars.count, c.length))
            let all = Array(snippet.text.unicodeScalars)
            for (h, m) in zip(snippet.highlights, c.matches) {
                #expect(Array(all[h]) == Array(scalars[m]))
            }
        }
    }

    @Test("scalar indices counted on the UTF-8 bytes are the scalar view's", arguments: [(0, 0), (0, 7), (3, 9), (5, 240), (239, 240), (240, 240)])
    func indices(_ start: Int, _ end: Int) {
        let text = Self.mixed
        let scalars = text.unicodeScalars
        let (lower, upper) = Snippet.scalarIndices(start, end, in: text)
        #expect(lower == scalars.index(scalars.startIndex, offsetBy: start))
        #expect(upper == scalars.index(scalars.startIndex, offsetBy: end))
    }
}
