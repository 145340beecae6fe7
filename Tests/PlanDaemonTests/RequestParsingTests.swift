import Foundation
import PlanProtocol
import Testing

/// Request lines as the daemon reads them, without a socket: what each mistake is answered
/// with, and which id the answer names. (DaemonTests sends some of these through a socket.)
@Suite("Request lines")
struct RequestParsingTests {
    struct Line: CustomStringConvertible, Sendable {
        var text: String
        /// The error code, or nil when the line parses.
        var code: ErrorCode?
        var id: RequestID
        var method: String? = nil
        var description: String { text.count > 60 ? String(text.prefix(60)) + "…" : text }
    }

    static let lines: [Line] = [
        Line(text: #"{"id":1,"method":"ping"}"#, code: nil, id: .number("1"), method: "ping"),
        Line(text: #"{"id":"a b","method":"search","params":{"query":"x"}}"#, code: nil, id: .string("a b"), method: "search"),
        Line(text: #"{"method":"ping"}"#, code: nil, id: .null, method: "ping"),
        Line(text: #"{"id":null,"method":"ping"}"#, code: nil, id: .null, method: "ping"),
        // A number id is kept as written: above 2^53 a Double would change it.
        Line(text: #"{"id":18446744073709551617,"method":"ping"}"#, code: nil, id: .number("18446744073709551617"), method: "ping"),
        Line(text: #"{"id":-2.5e3,"method":"ping"}"#, code: nil, id: .number("-2.5e3"), method: "ping"),
        Line(text: #"  {"params":{},"method":"stats","id":7}  "#, code: nil, id: .number("7"), method: "stats"),
        // A member given twice: the first counts (the params are read by the same decoder).
        Line(text: #"{"id":1,"method":"ping","id":2}"#, code: nil, id: .number("1"), method: "ping"),
        // Not JSON, or not UTF-8.
        Line(text: "not json", code: .parseError, id: .null),
        Line(text: #"{"id":1,"method":"search","params":{"query":"x""#, code: .parseError, id: .null),
        Line(text: "", code: .parseError, id: .null),
        // Strict JSON, also in members no method reads.
        Line(text: #"{"id":1,"method":"ping","params":{"a":"\q"}}"#, code: .parseError, id: .null),
        Line(text: "{\"id\":1,\"method\":\"ping\",\"params\":{\"a\":\"\t\"}}", code: .parseError, id: .null),
        Line(text: #"{"id":1,"method":"ping","params":{"a":01}}"#, code: .parseError, id: .null),
        Line(text: #"{"id":"\ud800","method":"ping"}"#, code: .parseError, id: .null),
        Line(text: #"{"id":1,"method":"p\ud800"}"#, code: .parseError, id: .null),
        // JSON, but not a request.
        Line(text: "[1,2]", code: .invalidRequest, id: .null),
        Line(text: #""ping""#, code: .invalidRequest, id: .null),
        Line(text: "5", code: .invalidRequest, id: .null),
        Line(text: "null", code: .invalidRequest, id: .null),
        Line(text: #"{"id":true,"method":"ping"}"#, code: .invalidRequest, id: .null),
        Line(text: #"{"id":{"a":1},"method":"ping"}"#, code: .invalidRequest, id: .null),
        Line(text: #"{"id":[1],"method":"ping"}"#, code: .invalidRequest, id: .null),
        Line(text: #"{"id":1e400,"method":"ping"}"#, code: .parseError, id: .null),  // no number JSON parsers hold
        // The id is read, so the answer names it.
        Line(text: #"{"id":1}"#, code: .invalidRequest, id: .number("1")),
        Line(text: #"{"id":"q","method":""}"#, code: .invalidRequest, id: .string("q")),
        Line(text: #"{"id":2,"method":5}"#, code: .invalidRequest, id: .number("2")),
        Line(text: #"{"id":3,"method":"ping","params":null}"#, code: nil, id: .number("3"), method: "ping"),  // null: absent
        Line(text: #"{"id":4,"method":"search","params":"x"}"#, code: .invalidParams, id: .number("4")),
        Line(text: #"{"id":5,"method":"search","params":[{"query":"x"}]}"#, code: .invalidParams, id: .number("5")),
        // Nesting is refused before any parser recurses through it.
        Line(text: String(repeating: "[", count: 100_000), code: .invalidRequest, id: .null),
        Line(text: #"{"id":1,"method":"ping","params":{"a":"# + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "}}",
             code: .invalidRequest, id: .null),
    ]

    @Test("each line parses, or gets its error code and id", arguments: lines)
    func parse(_ line: Line) {
        switch Request.parse(Array(line.text.utf8)) {
        case let .success(request):
            #expect(line.code == nil, "parsed, expected \(String(describing: line.code))")
            #expect(request.id == line.id)
            #expect(request.method == line.method)
        case let .failure(error):
            #expect(error.code == line.code, "\(error.message)")
            #expect(error.id == line.id)
        }
    }

    @Test("a line that is not UTF-8 is a parse error")
    func notUTF8() throws {
        guard case let .failure(error) = Request.parse([0x7B, 0xFF, 0xFE, 0x7D]) else {
            Issue.record("parsed")
            return
        }
        #expect(error.code == .parseError)
    }

    private func request(_ params: String?) throws -> Request {
        let line = #"{"id":1,"method":"search""# + (params.map { #","params":"# + $0 } ?? "") + "}"
        return try Request.parse(Array(line.utf8)).get()
    }

    /// Decodes `params` as SearchParams; the error's message, or nil.
    private func searchError(_ params: String) throws -> String? {
        let parsed = try request(params)
        do {
            _ = try parsed.decodeParams(SearchParams.self)
            return nil
        } catch {
            return error.message
        }
    }

    @Test("params are decoded from the line, with snake_case keys and nested objects")
    func decodesParams() throws {
        let params = try request(#"{"query":"妇女 \"引号\"","limit":3,"per_doc":1,"filters":{"doc":["a.txt"]},"fold_copies":false}"#)
            .decodeParams(SearchParams.self)
        #expect(params.query == "妇女 \"引号\"")
        #expect(params.limit == 3)
        #expect(params.perDoc == 1)
        #expect(params.filters?.doc == ["a.txt"])
        #expect(params.foldCopies == false)
        // Absent params are an empty object: every parameter optional is fine, a required one missing.
        #expect(try request(nil).decodeParams(ReindexParams.self).paths == nil)
        #expect(throws: ProtocolError.self) { try request(nil).decodeParams(SearchParams.self) }
    }

    @Test("a query of whitespace alone is refused, whatever the whitespace", arguments: [
        ("", false), (" ", false), ("\t\n\r ", false), ("\u{3000}\u{00A0}", false), ("\u{2028}", false),
        ("妇女", true), (" 妇女 ", true), ("\u{3000}A", true), ("？", true),
    ])
    func blankQuery(_ query: String, _ accepted: Bool) {
        let outcome = Result { () throws(ProtocolError) in try SearchParams(query: query).validated() }
        switch outcome {
        case .success: #expect(accepted)
        case let .failure(error):
            #expect(!accepted)
            #expect(error.code == .invalidParams && error.message.contains("empty"))
        }
    }

    @Test("a params mistake names the parameter, as a path within params")
    func paramsMistakes() throws {
        #expect(try searchError(#"{}"#)?.contains(#"missing "query""#) == true)
        #expect(try searchError(#"{"query":5}"#)?.contains(#""query" has the wrong type"#) == true)
        #expect(try searchError(#"{"query":"x","limit":null}"#) == nil)  // null is "not given"
        #expect(try searchError(#"{"query":"x","filters":{"doc":5}}"#)?.contains(#""filters.doc" has the wrong type"#) == true)
        #expect(try searchError(#"{"query":"x","limit":1.5}"#)?.contains(#""limit" must be a whole number"#) == true)
        #expect(try searchError(#"{"query":"x","foo":1.5,"limit":2.5}"#)?.contains(#""limit" must be a whole number"#) == true)
        #expect(try searchError(#"{"query":"x","offset":99999999999999999999}"#)?.contains(#""offset""#) == true)
        // The line's other members never leak into the path.
        let message = try #require(try searchError(#"{"query":[]}"#))
        #expect(!message.contains("params"), "\(message)")
    }
}
