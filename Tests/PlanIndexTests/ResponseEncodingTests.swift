import Foundation
@testable import PlanProtocol
import Testing

/// The hand-written response encoding (JSONWriter) must produce exactly JSONEncoder's bytes:
/// docs/protocol.md is the contract and clients may compare lines.
struct ResponseEncodingTests {
    static let trickyStrings: [String] = [
        "", "plain", "quote \" inside", "back\\slash", "\\\"", "slash / and </script>",
        "newline\nreturn\r tab\t", "\u{8}backspace \u{C}formfeed", "\u{0}nul \u{1} \u{1F} \u{7F} del",
        "line sep \u{2028} para sep \u{2029}", "emoji 👩‍💻 🇨🇳 😀", "中文：国贸中心的目标受益者…「引号」",
        "é composed e\u{301}", "\u{FEFF}bom", "ends with backslash \\", "😀", "\u{10FFFF}",
        String(repeating: "长", count: 300) + "\"" + String(repeating: "x", count: 100),
    ]

    static let doubles: [Double] = [
        0, -0.0, 1, -1, 0.419513, 9.291, 9.328, 0.44, 1.29, 0.1 + 0.2, 123456.789, 1e-7, 1.5e-5,
        1e15, 1e16, 1e21, 1e22, 9_007_199_254_740_993, 12345678901234567890, -2.5e-300,
        Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, Double.pi, 1.0 / 3.0, 100, 2.5,
    ]

    static func hit(_ s: String, score: Double = 9.291, para: String? = "13.2", text: String? = nil) -> SearchHit {
        SearchHit(id: s, doc: s, title: s, heading: [s, "前言", ""], para: para, kind: s, score: score, rank: 1,
                  file: "/work/" + s, line: 15, endLine: 17, snippet: s, highlights: [[0, 2], [128, 132]], text: text)
    }

    static func result(_ hits: [SearchHit], missing: [String] = [], suggestions: [String: [String]] = [:],
                       tookMs: Double = 0.44) -> SearchResult {
        SearchResult(total: hits.count, exact: missing.isEmpty, missing: missing, suggestions: suggestions,
                     tookMs: tookMs, hits: hits)
    }

    /// Hand-written and JSONEncoder forms, as strings for readable failures.
    static func both(_ id: RequestID, _ result: SearchResult) -> (String, String) {
        let fast = Response.result(id: id, result)
        let reference = Response.encoded(id: id, Response.Envelope(id: id, result: result))
        return (String(decoding: fast, as: UTF8.self), String(decoding: reference, as: UTF8.self))
    }

    @Test(arguments: trickyStrings)
    func stringsMatchJSONEncoder(_ s: String) throws {
        var copied = Self.hit(s, text: s)
        copied.copies = [SectionLocation(id: s, doc: s, file: "/work/" + s, line: 3), SectionLocation(id: "b", doc: s, file: s, line: 40)]
        let result = Self.result([Self.hit(s, text: s), copied], missing: [s])
        let (fast, reference) = Self.both(.string(s), result)
        #expect(fast == reference)
        #expect(fast.hasSuffix("}\n"))
        // And it reads back as the same strings.
        struct Line: Decodable { var id: String; var result: SearchResult }
        let line = try JSONDecoder().decode(Line.self, from: Data(fast.utf8))
        #expect(line.id == s)
        #expect(line.result.hits.first?.snippet == s)
        #expect(line.result.hits.first?.text == s)
        #expect(line.result.missing == [s])
    }

    @Test(arguments: doubles)
    func numbersMatchJSONEncoder(_ d: Double) throws {
        let (fast, reference) = Self.both(.number("1"), Self.result([Self.hit("x", score: d)], tookMs: d))
        #expect(fast == reference)
        struct Line: Decodable { var result: SearchResult }
        let line = try JSONDecoder().decode(Line.self, from: Data(fast.utf8))
        #expect(line.result.tookMs == d)
        #expect(line.result.hits.first?.score == d)
    }

    @Test(arguments: [0, 1, -1, 7, 42, 1000, -123_456, Int.max, Int.min])
    func integersMatchJSONEncoder(_ n: Int) {
        var hit = Self.hit("x")
        hit.rank = n
        hit.line = n
        hit.highlights = [[n, n]]
        var result = Self.result([hit])
        result.total = n
        let (fast, reference) = Self.both(.null, result)
        #expect(fast == reference)
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity])
    func nonFiniteNumbersAreNeverEmitted(_ d: Double) throws {
        let (fast, reference) = Self.both(.number("1"), Self.result([Self.hit("x", score: d)]))
        // JSONEncoder refuses them; the hand-written path falls back and answers the same error.
        #expect(fast == reference)
        // Valid JSON (no bare nan/inf), an `internal` error.
        let object = try JSONSerialization.jsonObject(with: Data(fast.utf8)) as? [String: Any]
        #expect((object?["error"] as? [String: Any])?["code"] as? String == "internal")
        #expect(object?["result"] == nil)
    }

    @Test func optionalMembersAndSuggestions() {
        var withText = Self.hit("a", para: nil, text: "全文")
        withText.rank = 2
        var result = Self.result([Self.hit("b"), withText], missing: ["火星", "泥碳地"],
                                 suggestions: ["泥碳地": ["泥炭地", "泥炭"], "火星": ["火 星"], "Zeta": ["z"], "alpha": [],
                                               "a10": ["x"], "a9": ["y"]])
        result.partial = true
        result.missingShards = ["remote:1", "b"]
        let (fast, reference) = Self.both(.string("9"), result)
        #expect(fast == reference)
        let (empty, emptyReference) = Self.both(.number("3"), Self.result([]))
        #expect(empty == emptyReference)
        #expect(empty == #"{"id":3,"result":{"exact":true,"hits":[],"missing":[],"suggestions":{},"took_ms":0.44,"total":0}}"# + "\n")
    }

    /// Numbers go back as their text came: 2^64 + 1 and 2^53 + 1 are not Doubles, and a
    /// client matching answers to requests by id compares what it sent.
    @Test(arguments: [(RequestID.null, "null"), (.string(""), #""""#), (.string("a\"b"), #""a\"b""#), (.number("9"), "9"),
                      (.number("-3"), "-3"), (.number("1.5"), "1.5"), (.number("1e15"), "1e15"), (.number("-2.5E+3"), "-2.5E+3"),
                      (.number("9007199254740993"), "9007199254740993"),
                      (.number("18446744073709551617"), "18446744073709551617"), (.number("0.4195130000000000001"), "0.4195130000000000001")])
    func requestIDsAreEchoedAsTheyCame(_ id: RequestID, _ text: String) {
        let (fast, reference) = Self.both(id, Self.result([]))
        #expect(fast == reference)
        #expect(fast.hasPrefix(#"{"id":"# + text + ","))
        let error = ProtocolError(.invalidParams, "\"limit\" must be between 0 and 1000\n\u{1}", id: id)
        #expect(Response.error(id: id, error) == Response.encodedError(id: id, error))
        #expect(String(decoding: Response.error(id: id, error), as: UTF8.self).hasSuffix(#","id":"# + text + "}\n"))
        #expect(String(decoding: Response.result(id: id, PingResult(version: "1")), as: UTF8.self).hasPrefix(#"{"id":"# + text + ","))
    }

    @Test(arguments: trickyStrings)
    func errorsMatchJSONEncoder(_ message: String) {
        for code in [ErrorCode.parseError, .internalError, .tooLarge, .overloaded] {
            let error = ProtocolError(code, message)
            #expect(String(decoding: Response.error(id: .string(message), error), as: UTF8.self)
                == String(decoding: Response.encodedError(id: .string(message), error), as: UTF8.self))
        }
    }

    /// A member added to SearchHit or SearchResult must be added to the hand-written encoding
    /// too (SearchHit.write / SearchResult.write in JSONWriter.swift): this lists what they write.
    @Test func everyMemberIsWritten() {
        let hitMembers = Set(Mirror(reflecting: Self.hit("x")).children.compactMap(\.label))
        #expect(hitMembers == ["id", "doc", "title", "heading", "para", "kind", "score", "rank", "file", "line",
                               "endLine", "snippet", "highlights", "text", "missing", "copies"])
        let resultMembers = Set(Mirror(reflecting: Self.result([])).children.compactMap(\.label))
        #expect(resultMembers == ["total", "exact", "missing", "suggestions", "tookMs", "hits", "partial", "missingShards"])
    }
}
