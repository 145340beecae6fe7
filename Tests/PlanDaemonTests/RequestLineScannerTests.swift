import Foundation
import PlanProtocol
import Testing

/// The request line's own JSON check against Foundation's parser, which it replaced: both must
/// call the same lines JSON. (RequestParsingTests checks the answers to chosen mistakes.)
@Suite("Request line JSON check")
struct RequestLineScannerTests {
    /// Whether `Request.parse` found the line to be JSON (any answer but "not valid JSON").
    static func scannerAccepts(_ text: String) -> Bool {
        switch Request.parse(Array(text.utf8)) {
        case .success: return true
        case let .failure(error): return !(error.code == .parseError && error.message == "not valid JSON")
        }
    }

    static func foundationAccepts(_ text: String) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil
    }

    static let edges: [String] = [
        #"{"id":1,"method":"ping"} x"#, #"{"id":1,"method":"ping"},"#, #"{"id":1,"method":"ping"}}"#,
        #"{"id":1.,"method":"ping"}"#, #"{"id":-,"method":"ping"}"#, #"{"id":1e,"method":"ping"}"#,
        #"{"id":.5,"method":"ping"}"#, #"{"id":+1,"method":"ping"}"#, #"{"id":-0,"method":"ping"}"#,
        #"{"id":1E+2,"method":"ping"}"#, #"{"id":0.0e-0,"method":"ping"}"#, #"{"id":tru,"method":"ping"}"#,
        #"{"id":1,"method":"ping","params":{"a":[true,false,null,{},[],""]}}"#,
        #"{"id":1,"method":"ping","params":{"a" 1}}"#, #"{"id":1,"method":"ping","params":{1:1}}"#,
        #"{"id":"\u00e9\ud83d\ude00\/\b\f\n\r\t","method":"ping"}"#, #"{"id":"\u00G0","method":"ping"}"#,
        #"{"id":"\ude00","method":"ping"}"#, #"{"id":"\ud83d\u0041","method":"ping"}"#, #"{"id":"\ud83d","method":"ping"}"#,
        "{\"id\":\"\u{7F}\",\"method\":\"ping\"}", "{\"id\":\"\u{1F}\",\"method\":\"ping\"}", "{\"id\":\"\u{0}\",\"method\":\"ping\"}", "{\"id\":1,\"method\":\"ping\"}\n", "\r\n\t {\"id\":1,\"method\":\"ping\"}",
        "{\"id\":1,\"method\":\"ping\"}\u{0B}", #"{"id":"\"#, #"{"id":1,"method":"ping""#, "{", "}", "[", "]", " ",
    ]

    @Test("chosen edges: the check agrees with Foundation's parser", arguments: edges)
    func edge(_ text: String) {
        #expect(Self.scannerAccepts(text) == Self.foundationAccepts(text))
    }

    /// Foundation's parser takes a comma before a closing bracket; JSON (RFC 8259) has none, and
    /// the protocol promises JSON.
    @Test("a trailing comma is not JSON", arguments: [
        #"{"id":1,"method":"ping","params":{"a":[1,]}}"#, #"{"id":1,"method":"ping","params":{"a":1,}}"#,
        #"{"id":1,"method":"ping",}"#,
    ])
    func trailingComma(_ text: String) {
        #expect(!Self.scannerAccepts(text))
    }

    /// Lines a byte away from valid requests (one deleted, replaced or inserted from JSON's own
    /// alphabet), from a fixed seed: most are broken in the ways a hand-written check gets wrong.
    @Test("a thousand near misses: the check agrees with Foundation's parser")
    func nearMisses() {
        let seeds = [
            #"{"id":1,"method":"search","params":{"query":"妇女 \"引号\"","limit":3,"filters":{"doc":["a.txt"]},"fold_copies":false}}"#,
            #"{"id":"a\u00e9","method":"ping","params":{"x":[1.5e3,-0.25,null,true,{}]}}"#,
        ].map { Array($0.utf8) }
        let alphabet = Array(#"{}[]:,"\/u0123456789abcdefE.+- tnrl"#.utf8)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var disagreements: [String] = []
        for n in 0..<1_000 {
            var bytes = seeds[n % seeds.count]
            // Only ASCII positions are changed, so every line stays UTF-8.
            let at = next(bytes.count)
            guard bytes[at] < 0x80 else { continue }
            switch next(3) {
            case 0: bytes.remove(at: at)
            case 1: bytes[at] = alphabet[next(alphabet.count)]
            default: bytes.insert(alphabet[next(alphabet.count)], at: at)
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let trailingComma = text.contains(",}") || text.contains(",]")
            if Self.scannerAccepts(text) != (Self.foundationAccepts(text) && !trailingComma) { disagreements.append(text) }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
    }

    @Test("the envelope's strings are decoded, escaped member names included")
    func decodedStrings() throws {
        let request = try Request.parse(Array(#"{"\u0069d":"\u00e9\ud83d\ude00\n","m\u0065thod":"ping"}"#.utf8)).get()
        #expect(request.id == .string("é😀\n"))
        #expect(request.method == "ping")
    }
}
