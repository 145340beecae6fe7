import Foundation
import Glibc
import Testing
@testable import PlanIndex

@Suite("Loading and refusing schemas")
struct SchemaTests {
    @Test("the shipped schemas load")
    func shipped() throws {
        let plan = try loadSchema("un-plan")
        #expect(plan.name == "un-plan")
        #expect(plan.headings.count >= 6)
        #expect(try loadSchema("plain-text").headings.isEmpty)
        #expect(plan.ranking.headingFactors["应交付产出"] == 0.8)
        #expect(plan.values.heading == 5)
    }

    @Test("a schema in UTF-16 or UTF-32 loads (JSONSerialization reads them), and its duplicate keys are still found",
          arguments: [String.Encoding.utf16, .utf16LittleEndian, .utf16BigEndian, .utf32LittleEndian])
    func wideEncodings(_ encoding: String.Encoding) throws {
        let scratch = try Scratch()
        let text = #"{"name": "wide", "description": "宽字符 \"引号\" {[,]}", "paragraphs": {"max_chars": 1200}}"#
        try scratch.writeBytes("wide.json", [UInt8](try #require(text.data(using: encoding))))
        #expect(try Schema.load(path: scratch.path + "/wide.json").name == "wide")
        let twice = #"{"name": "wide", "paragraphs": {"max_chars": 1200, "max_chars": 900}}"#
        try scratch.writeBytes("twice.json", [UInt8](try #require(twice.data(using: encoding))))
        #expect(throws: SchemaError(file: scratch.path + "/twice.json", path: "$.paragraphs.max_chars",
                                    problem: "given twice in one object (only one may be given; JSON readers keep the last)")) {
            try Schema.load(path: scratch.path + "/twice.json")
        }
    }

    @Test("a schema that gave slot 5 to another value before the heading path existed still loads")
    func headingSlotDefault() throws {
        let scratch = try Scratch()
        try scratch.write("old.json", #"{"name": "x", "values": {"copy": 5, "prose": 6}}"#)
        let schema = try Schema.load(path: scratch.path + "/old.json")
        #expect(schema.values.heading == 7)  // the first slot from 5 on that none uses
    }

    struct FactorCase: CustomTestStringConvertible, Sendable {
        var heading: [String]
        var titles: [String] = []
        var factor: Double
        var testDescription: String { heading.joined(separator: " > ") }
    }

    static let factorCases: [FactorCase] = [
        FactorCase(heading: [], factor: 1),
        FactorCase(heading: ["第二章", "方案 10", "战略"], factor: 1),
        FactorCase(heading: ["第二章", "方案 10", "应交付产出"], factor: 0.8),
        // Matched without whitespace, as PDF extraction spaces some headings.
        FactorCase(heading: ["第二章", "应交付 产出"], factor: 0.8),
        // Matched as a whole heading, not inside a longer one.
        FactorCase(heading: ["第二章", "实质性应交付产出"], factor: 1),
        // Several named headings multiply; one named twice counts once.
        FactorCase(heading: ["大会决议", "应交付产出"], factor: 0.4),
        FactorCase(heading: ["应交付产出", "应交付产出"], factor: 0.8),
        // Folded as heading filters are: case and width.
        FactorCase(heading: ["Part A", "DELIVERABLES"], factor: 0.9),
        FactorCase(heading: ["Ｄｅｌｉｖｅｒａｂｌｅｓ"], factor: 0.9),
        // A title on the line after a heading counts as the heading does.
        FactorCase(heading: ["第二章", "次级方案 6"], titles: ["", "大会决议"], factor: 0.5),
    ]

    @Test("a heading path's factor is the product of the named headings in it", arguments: factorCases)
    func headingFactor(_ c: FactorCase) {
        let factors = ["应交付产出": 0.8, "大会决议": 0.5, "deliverables": 0.9]
        let stored = Array(HeadingFactors.key(heading: c.heading, titles: c.titles).utf8)
        #expect(abs(HeadingFactors.factor(of: stored, in: factors) - c.factor) < 1e-9)
        #expect(HeadingFactors.factor(of: stored, in: [:]) == 1)
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var json: String
        var path: String
        var problem: String
        var testDescription: String { path }
    }

    static let bad: [Bad] = [
        Bad(json: #"{"headings": []}"#, path: "$.name", problem: "required"),
        Bad(json: #"{"name": "x", "headings": [{"name": "h", "pattern": "([a-"}]}"#, path: "$.headings[0].pattern", problem: "regular expression"),
        Bad(json: #"{"name": "x", "headings": [{"name": "h"}]}"#, path: "$.headings[0]", problem: "needs"),
        Bad(json: #"{"name": "x", "headings": [{"name": "h", "names": ["a"], "levle": 2}]}"#, path: "$.headings[0].levle", problem: "unknown key"),
        Bad(json: #"{"name": "x", "headings": [{"name": "h", "names": ["a"], "level": "2"}]}"#, path: "$.headings[0].level", problem: "integer"),
        Bad(json: #"{"name": "x", "headings": [{"name": "h", "names": ["a"], "level": 12}]}"#, path: "$.headings[0].level", problem: "between"),
        Bad(json: #"{"name": "x", "paragraphs": {"numbered": "^[0-9]+ "}}"#, path: "$.paragraphs.numbered", problem: "capture group"),
        Bad(json: #"{"name": "x", "paragraphs": {"blank_lines": "sometimes"}}"#, path: "$.paragraphs.blank_lines", problem: "must be"),
        Bad(json: #"{"name": "x", "fields": {"body": {"prefix": "b"}}}"#, path: "$.fields.body.prefix", problem: "upper-case"),
        Bad(json: #"{"name": "x", "ranking": {"b": 2}}"#, path: "$.ranking.b", problem: "between"),
        Bad(json: #"{"name": "x", "analyzer": {"lexicons": ["missing.txt"]}}"#, path: "$.analyzer.lexicons[0]", problem: "no file at"),
        // A directory passes FileManager's isReadableFile; reading it failed later, with no path.
        Bad(json: #"{"name": "x", "analyzer": {"lexicons": ["."]}}"#, path: "$.analyzer.lexicons[0]", problem: "is a directory, not a file"),
        Bad(json: #"{"name": "x", "analyzer": {"synonyms": "/"}}"#, path: "$.analyzer.synonyms", problem: "/ is a directory, not a file"),
        Bad(json: #"{"name": "x", "values": {"document": 1, "year": 1}}"#, path: "$.values", problem: "distinct"),
        Bad(json: #"{"name": "x", "values": {"copy": 3}}"#, path: "$.values", problem: "distinct"),
        Bad(json: #"{"name": "x", "values": {"heading": 4}}"#, path: "$.values", problem: "distinct: copy and heading are both 4"),
        Bad(json: #"{"name": "x", "values": {"copy": 5, "heading": 5}}"#, path: "$.values", problem: "copy and heading are both 5"),
        Bad(json: #"{"name": "x", "ranking": {"heading_factors": ["应交付产出"]}}"#, path: "$.ranking.heading_factors", problem: "expected an object"),
        Bad(json: #"{"name": "x", "ranking": {"heading_factors": {"应交付产出": "0.8"}}}"#, path: "$.ranking.heading_factors.应交付产出", problem: "a number"),
        Bad(json: #"{"name": "x", "ranking": {"heading_factors": {"应交付产出": 0}}}"#, path: "$.ranking.heading_factors.应交付产出", problem: "between"),
        Bad(json: #"{"name": "x", "ranking": {"heading_factors": {" ": 0.8}}}"#, path: "$.ranking.heading_factors. ", problem: "must not be empty"),
        Bad(json: #"{"name": "x", "ranking": {"heading_factors": {"应交付产出": null}}}"#, path: "$.ranking.heading_factors.应交付产出", problem: "a number"),
        Bad(json: #"{"name": "x", "ranking": {"heading_factors": {"a\u001fb": 0.8}}}"#, path: "$.ranking.heading_factors.a\u{1F}b", problem: "control characters"),
        Bad(json: #"{"name": "x", "ranking": {"heading_factors": {"Deliverables": 0.8, "ＤＥＬＩＶＥＲＡＢＬＥＳ": 0.9}}}"#,
            path: "$.ranking.heading_factors.ＤＥＬＩＶＥＲＡＢＬＥＳ", problem: "same heading as another key"),
        Bad(json: #"{"name": "x", "ranking": {"heading_factors": {"应交付产出": 0.8, "应交付 产出": 0.9}}}"#,
            path: "$.ranking.heading_factors.应交付产出", problem: "same heading as another key"),
        Bad(json: #"{"name": "x", "blocks": [{"kind": "table"}]}"#, path: "$.blocks[0].start", problem: "required"),
        // Fields and filters write terms into one space: a filter with a field's prefix made
        // deleting one document's sections delete others' too.
        Bad(json: #"{"name": "x", "filters": {"document": "S"}}"#, path: "$.filters.document", problem: "same prefix as $.fields.title.prefix"),
        Bad(json: #"{"name": "x", "fields": {"title": {"prefix": "T"}}, "filters": {"document": "T"}}"#,
            path: "$.filters.document", problem: "same prefix as $.fields.title.prefix"),
        Bad(json: #"{"name": "x", "fields": {"heading": {"prefix": "XH"}}}"#, path: "$.fields.heading.prefix", problem: "same prefix as $.filters.heading"),
        Bad(json: #"{"name": "x", "filters": {"section": "N"}}"#, path: "$.filters.section", problem: "same prefix as $.fields.paragraph.prefix"),
        Bad(json: #"{"name": "x", "filters": {"kind": "XD"}}"#, path: "$.filters.kind", problem: "same prefix as $.filters.document"),
        Bad(json: #"{"name": "x", "fields": {"title": {"prefix": "H"}}}"#, path: "$.fields.title.prefix", problem: "same prefix as $.fields.heading.prefix"),
        Bad(json: #"{"name": "x", "fields": {"title": {"prefix": ""}}}"#, path: "$.fields.title.prefix", problem: "same prefix as $.fields.body.prefix"),
        Bad(json: #"{"name": "x", "filters": {"heading": ""}}"#, path: "$.filters.heading", problem: "empty"),
        // A lower-case filter prefix and a document id can spell a body word.
        Bad(json: #"{"name": "x", "filters": {"document": "xd"}}"#, path: "$.filters.document", problem: "upper-case"),
        // One prefix beginning another: document "Hfoo" under filter X would spell heading foo's term.
        Bad(json: #"{"name": "x", "filters": {"document": "X"}}"#, path: "$.filters.document",
            problem: #""X" ($.filters.document) begins "XH" ($.filters.heading)"#),
        Bad(json: #"{"name": "x", "fields": {"title": {"prefix": "XDT"}}}"#, path: "$.fields.title.prefix",
            problem: #""XD" ($.filters.document) begins "XDT" ($.fields.title.prefix)"#),
        Bad(json: #"{"name": "x", "extensions": ["txt", "."]}"#, path: "$.extensions[1]", problem: "not a file extension"),
        Bad(json: #"{"name": "x", "extensions": ["*.txt"]}"#, path: "$.extensions[0]", problem: "not a file extension"),
        Bad(json: #"{"name": "x", "extensions": ["tar.gz"]}"#, path: "$.extensions[0]", problem: "after its last dot"),
        Bad(json: #"{"name": "x""#, path: "$", problem: "not valid JSON"),
        // A key given twice: JSONSerialization keeps the last without a word.
        Bad(json: #"{"name": "x", "headings": [{"name": "h", "names": ["a"]}], "headings": []}"#, path: "$.headings", problem: "given twice"),
        Bad(json: #"{"name": "x", "headings": [{"name": "h", "names": ["a"]}, {"name": "i", "names": ["b"], "level": 2, "level": 3}]}"#,
            path: "$.headings[1].level", problem: "given twice"),
        Bad(json: #"{"name": "x", "ranking": {"k1": 1, "b": 0.5, "k1": 2}}"#, path: "$.ranking.k1", problem: "given twice"),
        Bad(json: #"{"name": "x", "paragraphs": {"item": "^\\s*(\\d)[,}\"]", "numbered": "^(\\d+)", "item": "^(x)"}}"#,
            path: "$.paragraphs.item", problem: "given twice"),
        Bad(json: #"["name"]"#, path: "$", problem: "expected an object"),
    ]

    @Test("a cluster file with a key given twice is refused, naming where")
    func clusterKeyGivenTwice() throws {
        let scratch = try Scratch()
        try scratch.write("cluster.json", #"{"shards": [{"path": "/a"}, {"remote": "h:1", "remote": "h:2"}]}"#)
        #expect(throws: IndexError.self) { try ClusterConfiguration.load(path: scratch.path + "/cluster.json") }
        do {
            _ = try ClusterConfiguration.load(path: scratch.path + "/cluster.json")
        } catch {
            #expect("\(error)".contains("$.shards[1].remote: given twice"), "\(error)")
        }
        try scratch.write("ok.json", #"{"shards": [{"path": "/a"}, {"remote": "h:1"}], "retry_seconds": 1}"#)
        #expect(try ClusterConfiguration.load(path: scratch.path + "/ok.json").shards.count == 2)
    }

    @Test("a schema with a mistake is refused with file, JSON path and problem", arguments: bad)
    func refused(_ c: Bad) throws {
        let scratch = try Scratch()
        try scratch.write("bad.json", c.json)
        let file = scratch.path + "/bad.json"
        do {
            _ = try Schema.load(path: file)
            Issue.record("accepted a bad schema: \(c.json)")
        } catch {
            #expect(error.file == file)
            #expect(error.path == c.path)
            #expect(error.problem.contains(c.problem), "\(error.problem)")
        }
    }

    @Test("an extension may be written with its dot", arguments: [
        (#"["txt"]"#, ["txt"]), (#"[".txt", ".MD"]"#, ["txt", "MD"]), (#"[]"#, []),
    ] as [(String, [String])])
    func extensions(_ json: String, _ expected: [String]) throws {
        let scratch = try Scratch()
        try scratch.write("s.json", #"{"name": "x", "extensions": "# + json + "}")
        #expect(try Schema.load(path: scratch.path + "/s.json").extensions == expected)
    }

    struct Edit: CustomTestStringConvertible, Sendable {
        var name: String
        var json: String
        /// Whether documents indexed under the first schema must be indexed again.
        var reindexes: Bool
        var testDescription: String { name }
    }

    static let fingerprintBase = #"{"name": "x", "noise": [{"name": "url", "pattern": "^https?://"}], "ranking": {"b": 0.5}}"#
    static let edits: [Edit] = [
        Edit(name: "the same rules, laid out and ordered otherwise",
             json: "{\n  \"ranking\": { \"b\": 0.5 },\n  \"noise\": [ { \"pattern\": \"^https?://\", \"name\": \"url\" } ],\n  \"name\": \"x\"\n}", reindexes: false),
        Edit(name: "a ranking parameter (searching alone reads it)",
             json: #"{"name": "x", "noise": [{"name": "url", "pattern": "^https?://"}], "ranking": {"b": 0.7}}"#, reindexes: false),
        Edit(name: "heading factors (read at search time from the stored heading path)",
             json: #"{"name": "x", "noise": [{"name": "url", "pattern": "^https?://"}], "ranking": {"b": 0.5, "heading_factors": {"应交付产出": 0.8}}}"#,
             reindexes: false),
        Edit(name: "a description", json: #"{"name": "x", "description": "d", "noise": [{"name": "url", "pattern": "^https?://"}], "ranking": {"b": 0.5}}"#,
             reindexes: false),
        Edit(name: "a noise rule", json: #"{"name": "x", "noise": [{"name": "url", "pattern": "^https?://\\S+$"}], "ranking": {"b": 0.5}}"#,
             reindexes: true),
        Edit(name: "a paragraph rule", json: #"{"name": "x", "noise": [{"name": "url", "pattern": "^https?://"}], "paragraphs": {"max_chars": 900}, "ranking": {"b": 0.5}}"#,
             reindexes: true),
    ]

    @Test("the index fingerprint changes with the rules that split and index, not with layout or ranking", arguments: edits)
    func fingerprint(_ edit: Edit) throws {
        let scratch = try Scratch()
        try scratch.write("a.json", Self.fingerprintBase)
        try scratch.write("b.json", edit.json)
        let a = try Schema.load(path: scratch.path + "/a.json")
        let b = try Schema.load(path: scratch.path + "/b.json")
        #expect((a.indexFingerprint != b.indexFingerprint) == edit.reindexes)
    }

    @Test("a missing schema file is a clear error")
    func missingFile() {
        #expect(throws: SchemaError.self) { try Schema.load(path: "/nonexistent/schema.json") }
    }
}

@Suite("Noise rules joined into one expression")
struct JoinedPatternTests {
    static func patterns(_ sources: [String]) throws -> [LinePattern] {
        try sources.map { LinePattern(try NSRegularExpression(pattern: $0, options: [])) }
    }

    @Test("the shipped noise rules, joined, match exactly the corpus lines one of them matches",
          .enabled(if: Paths.hasCorpus))
    func shippedRules() throws {
        let rules = try loadSchema("un-plan").noise.map(\.pattern)
        let joined = LinePattern.anyOf(rules)
        #expect(joined.count == 1)
        var lines = 0, noise = 0
        for name in ["itc-programme-plan-2021.txt", "unido-annual-report-2020.txt", "itc-programme-budget-2008-2009.txt"] {
            let text = try String(contentsOfFile: Paths.corpus + "/" + name, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                let one = rules.contains { $0.matches(trimmed) }
                #expect(joined.contains { $0.matches(trimmed) } == one, "\(trimmed)")
                lines += 1
                if one { noise += 1 }
            }
        }
        // The comparison covers both answers.
        #expect(noise > 20 && lines - noise > 1000, "\(noise) of \(lines)")
    }

    @Test("joined only when it is safe", arguments: [
        (["^a+$", "^b$"], 1),
        (["^(x)\\1$", "^b$"], 2),       // a backreference: its group number would shift
        (["^(?<n>x)\\k<n>$", "^b$"], 2),  // a named one
        (["^a$"], 1),
    ] as [([String], Int)])
    func safety(_ sources: [String], _ expected: Int) throws {
        let patterns = try Self.patterns(sources)
        let joined = LinePattern.anyOf(patterns)
        #expect(joined.count == expected)
        for line in ["a", "aaa", "b", "xx", "ab", ""] {
            #expect(joined.contains { $0.matches(line) } == patterns.contains { $0.matches(line) }, "\(line)")
        }
    }
}

@Suite("Reading source files")
struct SourceReaderTests {
    @Test("UTF-8 with and without BOM, UTF-16, and GB18030 are read; the rest refused")
    func encodings() throws {
        let s = try Scratch()
        let text = "国际贸易中心 13.2 妇女"
        try s.write("utf8.txt", text)
        try s.writeBytes("bom.txt", [0xEF, 0xBB, 0xBF] + Array(text.utf8))
        try s.writeBytes("utf16.txt", [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        // 国际贸易 in GB18030/GBK.
        try s.writeBytes("gbk.txt", [0xB9, 0xFA, 0xBC, 0xCA, 0xC3, 0xB3, 0xD2, 0xD7, 0x0A])
        try s.writeBytes("binary.bin", [0x7F, 0x45, 0x4C, 0x46, 0x00, 0x01, 0x02])
        try s.writeBytes("empty.txt", [])
        try s.writeBytes("latin1.txt", [0x63, 0x61, 0x66, 0xE9, 0xFF, 0xFF, 0x0A])
        let reader = SourceReader()
        #expect(try reader.read(s.path + "/utf8.txt").text == text)
        #expect(try reader.read(s.path + "/bom.txt").text == text)
        #expect(try reader.read(s.path + "/utf16.txt").text == text)
        let gbk = try reader.read(s.path + "/gbk.txt")
        #expect(gbk.text == "国际贸易\n")
        #expect(gbk.transcodedFrom == "GB18030")
        func reason(_ name: String) -> SourceError.Reason? {
            do { _ = try reader.read(s.path + "/" + name); return nil } catch { return error.reason }
        }
        #expect(reason("binary.bin") == .notText)
        #expect(reason("empty.txt") == .empty)
        #expect(reason("latin1.txt") == .badEncoding)
        #expect(reason("missing.txt") == .missing)
    }

    struct Refused: CustomTestStringConvertible, Sendable {
        var name: String
        var bytes: [UInt8]
        var reason: SourceError.Reason
        var testDescription: String { name }
    }

    static let refused: [Refused] = [
        Refused(name: "a UTF-8 byte-order mark alone", bytes: [0xEF, 0xBB, 0xBF], reason: .empty),
        Refused(name: "a UTF-8 byte-order mark and whitespace", bytes: [0xEF, 0xBB, 0xBF, 0x20, 0x0D, 0x0A, 0x09, 0x0A], reason: .empty),
        Refused(name: "a UTF-16LE byte-order mark alone", bytes: [0xFF, 0xFE], reason: .empty),
        Refused(name: "a UTF-16BE byte-order mark alone", bytes: [0xFE, 0xFF], reason: .empty),
        Refused(name: "a UTF-16LE byte-order mark and whitespace", bytes: [0xFF, 0xFE, 0x20, 0x00, 0x0A, 0x00], reason: .empty),
        Refused(name: "UTF-16LE of an odd length (the last byte is half a character)",
                bytes: [0xFF, 0xFE, 0xFF, 0x00, 0x62, 0x61, 0x64], reason: .badEncoding),
        Refused(name: "UTF-16BE of an odd length", bytes: [0xFE, 0xFF, 0x00, 0x62, 0x00], reason: .badEncoding),
        Refused(name: "a NUL byte early", bytes: Array("国际贸易".utf8) + [0x00] + Array("中心".utf8), reason: .notText),
        Refused(name: "a NUL byte after the first 64 KiB",
                bytes: Array(String(repeating: "国际贸易中心\n", count: 5_000).utf8) + [0x00, 0x0A] + Array("妇女\n".utf8), reason: .notText),
        Refused(name: "a NUL byte at the very end", bytes: Array(String(repeating: "妇女 ", count: 30_000).utf8) + [0x00], reason: .notText),
        Refused(name: "a NUL character in UTF-16", bytes: [0xFF, 0xFE, 0x41, 0x00, 0x00, 0x00, 0x42, 0x00], reason: .notText),
    ]

    @Test("a file that is no text is refused with its reason", arguments: refused)
    func refusedFiles(_ c: Refused) throws {
        let s = try Scratch()
        try s.writeBytes("f.txt", c.bytes)
        do {
            let decoded = try SourceReader().read(s.path + "/f.txt")
            Issue.record("read as \(Array(decoded.text.unicodeScalars.map(\.value)))")
        } catch {
            #expect(error.reason == c.reason, "\(error.message)")
        }
    }

    struct Legacy: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        /// What the file is written in (an iconv name).
        var writtenIn: String
        /// What it must be read as; nil: refused as bad_encoding.
        var readAs: String?
        /// The other of GB18030 and Big5 in which the same bytes are valid too: what the reader
        /// must not be fooled by.
        var alsoValidIn: String?
        var testDescription: String { name }
    }

    static let plan = "第一章 總則\n\n1. 聯合國婦女署協助婦女進入市場。\n"
    static let legacy: [Legacy] = [
        Legacy(name: "a Big5 plan (its bytes are valid GB18030 too)", text: plan, writtenIn: "BIG5", readAs: "BIG5", alsoValidIn: "GB18030"),
        Legacy(name: "simplified GB18030 text whose bytes are valid Big5 too",
               text: "2015 年，各国领导人一致通过了《2030 年可持续发展议程》，要以此为途径实现健康地球，使世界更公平、更和平、更繁荣。\n",
               writtenIn: "GB18030", readAs: "GB18030", alsoValidIn: "BIG5"),
        Legacy(name: "traditional characters in GB18030 (GBK has them)", text: plan, writtenIn: "GB18030", readAs: "GB18030"),
        Legacy(name: "Hong Kong text that only the supplement has (嘅, 佢哋)",
               text: "呢個計劃嘅目標係幫助婦女進入市場，佢哋會喺香港同澳門開展培訓。\n", writtenIn: "BIG5-HKSCS", readAs: "BIG5-HKSCS"),
        Legacy(name: "Korean in EUC-KR (valid in both, garbage in both)",
               text: "유엔 여성기구는 여성들이 시장에 진출할 수 있도록 지원하며, 각국 정부와 협력하여 성평등을 위한 정책을 마련하고 있습니다.\n",
               writtenIn: "EUC-KR", readAs: nil, alsoValidIn: "BIG5"),
        Legacy(name: "Japanese in Shift-JIS (valid GB18030, garbage)",
               text: "国連女性機関は、女性が市場に参入できるよう支援し、各国政府と協力して男女平等のための政策を策定しています。\n",
               writtenIn: "SHIFT_JIS", readAs: nil, alsoValidIn: "GB18030"),
    ]

    @Test("a legacy Chinese file is read in the encoding whose reading is common characters", arguments: legacy)
    func legacyEncodings(_ c: Legacy) throws {
        let bytes = try #require(Self.encode(c.text, to: c.writtenIn))
        if let other = c.alsoValidIn {
            #expect(SourceReader.transcode(bytes, from: other) != nil, "the case tests no choice: not valid \(other)")
        }
        let s = try Scratch()
        try s.writeBytes("plan.txt", bytes)
        do {
            let decoded = try SourceReader().read(s.path + "/plan.txt")
            #expect(decoded.transcodedFrom == c.readAs, "\(decoded.text)")
            if c.readAs != nil { #expect(decoded.text == c.text) }
        } catch {
            #expect(c.readAs == nil, "\(error.message)")
            #expect(error.reason == .badEncoding)
        }
    }

    @Test("a byte no Chinese encoding reads as text (Windows' € as 0x80) is refused, not read as a Big5 control")
    func lone0x80() throws {
        let s = try Scratch()
        try s.writeBytes("plan.txt", Array("Total: 100".utf8) + [0x80, 0x0A])
        do {
            let decoded = try SourceReader().read(s.path + "/plan.txt")
            Issue.record("read as \(decoded.transcodedFrom ?? "UTF-8"): \(decoded.text.debugDescription)")
        } catch {
            #expect(error.reason == .badEncoding)
        }
    }

    /// `text` as a file in `encoding` would hold it, by glibc's iconv (what reads it back).
    static func encode(_ text: String, to encoding: String) -> [UInt8]? {
        let converter = iconv_open(encoding, "UTF-8")
        guard converter != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(converter) }
        var input = Array(text.utf8).map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: input.count * 2 + 16)
        let written: Int? = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer = inBuffer.baseAddress
                var inLeft = inBuffer.count
                var outPointer = outBuffer.baseAddress
                var outLeft = outBuffer.count
                let result = iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
                return result == -1 || inLeft != 0 ? nil : outBuffer.count - outLeft
            }
        }
        return written.map { output[..<$0].map { UInt8(bitPattern: $0) } }
    }

    @Test("files over the size limit are refused before reading")
    func tooLarge() throws {
        let s = try Scratch()
        try s.write("big.txt", String(repeating: "文", count: 100))
        do {
            _ = try SourceReader(maxBytes: 64).read(s.path + "/big.txt")
            Issue.record("read a file over the limit")
        } catch {
            #expect(error.reason == .tooLarge)
        }
    }
}
