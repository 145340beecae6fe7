import Foundation
import Testing
@testable import PlanAnalyzer

/// One analyzer for the suite: the lexicon is loaded once.
let analyzer: Analyzer = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    let lexicon = url.path + "/IndexSchemas/lexicon/un-terms.txt"
    let cache = NSTemporaryDirectory() + "plansearch-analyzer-tests"
    do {
        return try Analyzer(options: .init(lexicons: [lexicon], foldTraditional: true, cacheDirectory: cache))
    } catch {
        preconditionFailure("the analyzer cannot load: \(error)")  // tests only
    }
}()

func terms(_ text: String) -> Set<String> { Set(analyzer.tokens(text).map(\.term)) }
func positioned(_ text: String) -> [String] { analyzer.tokens(text).filter { $0.position > 0 }.map(\.term) }

@Suite("Normalisation")
struct NormalizationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var input: String, output: String
        var testDescription: String { input }
    }

    static let cases: [Case] = [
        Case(input: "國際貿易中心", output: "国际贸易中心"),
        Case(input: "婦女", output: "妇女"),
        Case(input: "ＣＯＶＩＤ－１９", output: "covid-19"),
        Case(input: "e-deleGATE", output: "e-delegate"),
        Case(input: "１３．２", output: "13.2"),
        Case(input: "联合国\u{3000}大会", output: "联合国 大会"),
        Case(input: "ﬁnance", output: "finance"),
        Case(input: "可持續發展目標", output: "可持续发展目标"),
    ]

    @Test("NFKC, full width, case and traditional folding", arguments: cases)
    func normalize(_ c: Case) {
        #expect(analyzer.normalizer.normalize(c.input).string == c.output)
    }

    @Test("offsets point back into the original text, in scalars")
    func offsets() {
        let n = analyzer.normalizer.normalize("ﬁ國a")
        #expect(n.string == "fi国a")
        #expect(n.origin == [0, 0, 1, 2, 3])
    }
}

@Suite("Segmentation and terms")
struct SegmentationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var includes: [String]
        var excludes: [String] = []
        var testDescription: String { text }
    }

    // Real phrases from ../shared/corpus.
    static let cases: [Case] = [
        Case(text: "国贸中心的目标受益者", includes: ["国贸中心", "目标", "受益者", "国", "贸"]),
        Case(text: "可持续发展目标 8(促进持久、包容和可持续的经济增长", includes: ["可持续发展目标", "可持续", "发展", "目标", "8", "经济", "增长"]),
        Case(text: "特别是最不发达国家", includes: ["最不发达国家", "不发达", "国家"]),
        Case(text: "联合国工业发展组织(工发组织)", includes: ["联合国工业发展组织", "工发组织", "工业"]),
        Case(text: "2019冠状病毒病(COVID-19)大流行席卷全球", includes: ["2019", "冠状病毒病", "covid-19", "covid", "19", "大流行", "全球"]),
        Case(text: "A/75/6 (Sect. 13)", includes: ["a/75/6", "75", "6", "sect", "13"]),
        Case(text: "大会第 75/243 号决议", includes: ["75/243", "75", "243", "决议"]),
        Case(text: "A/RES/75/243", includes: ["a/res/75/243", "res", "243"]),
        Case(text: "ST/SGB/2019/2", includes: ["st/sgb/2019/2", "sgb", "2019"]),
        Case(text: "2018-2021 年期间战略规划", includes: ["2018-2021", "2018", "2021", "期间", "战略", "规划"]),
        Case(text: "全额预算：68 680 900 瑞士法郎", includes: ["68680900", "瑞士法郎", "预算"], excludes: ["680"]),
        Case(text: "从以往期间的 45%提高到至少 50%", includes: ["45%", "45", "50%", "50"]),
        Case(text: "2030年议程", includes: ["2030", "年", "议程"]),
        Case(text: "代表团使用新的 e-deleGATE 门户网站服务", includes: ["e-delegate", "delegate", "门户", "网站"]),
        Case(text: "Akoma Ntoso 标准", includes: ["akoma", "ntoso", "标准"]),
        // A dictionary word across two segmented words (外资 in 预算外|资金) is a term too, so a
        // query word's term is wherever its characters stand together.
        Case(text: "已把国贸中心预算外资金的一半", includes: ["预算外", "资金", "外资", "预算", "国贸中心", "中心"]),
    ]

    @Test("words, sub-words, characters and mixed tokens", arguments: cases)
    func segment(_ c: Case) {
        let found = terms(c.text)
        for term in c.includes { #expect(found.contains(term), "\(term) missing from \(found.sorted().prefix(40))") }
        for term in c.excludes { #expect(!found.contains(term), "\(term) should not be a term") }
    }

    @Test("whitespace and line breaks between Han characters are no boundary; between Latin words they are")
    func pdfLineBreaks() {
        #expect(positioned("可\n\n持续发展") == positioned("可持续发展"))
        #expect(terms("可\n\n持续发展").contains("可持续发展"))
        #expect(positioned("trade\n\nfacilitation") == ["trade", "facilitation"])
    }

    @Test("a number with spaced digit groups is one number; a year before 年 is not grouped")
    func digitGroups() {
        #expect(positioned("68 680 900 瑞士法郎").first == "68680900")
        #expect(positioned("2030 年") == ["2030", "年"])
        #expect(positioned("2019 2020 2021") == ["2019", "2020", "2021"])
        #expect(positioned("第 1 680 号") == ["第", "1680", "号"])
    }

    @Test("every token keeps its offsets in the original text")
    func offsets() {
        let text = "國際貿易中心 COVID-19"
        let scalars = Array(text.unicodeScalars)
        for token in analyzer.tokens(text) {
            let source = String(String.UnicodeScalarView(scalars[token.start..<token.end]))
            #expect(analyzer.normalizer.normalize(source).string.replacingOccurrences(of: " ", with: "") == token.term
                    || token.kind == .part, "\(token.term) <- \(source)")
        }
    }

    @Test("positions: a phrase is a substring of the normalised text")
    func phrasePositions() {
        let tokens = analyzer.tokens("国际贸易中心协助妇女")
        let han = tokens.filter { $0.kind == .han }
        #expect(han.map(\.position) == Array(1...10))
        #expect(tokens.filter { $0.kind != .han }.allSatisfy { $0.position == 0 })
        #expect(analyzer.phraseTerms("心协") == ["心", "协"])
        #expect(analyzer.phraseTerms("“e-deleGATE 门户”") == ["e-delegate", "门", "户"])
    }
}

@Suite("Query mode")
struct QueryModeTests {
    @Test("an unspaced question splits into content words (required) and function words")
    func question() {
        let units = analyzer.queryUnits("国贸中心计划到2021年底协助多少名妇女进入市场")
        let required = units.filter(\.required).map(\.term)
        let optional = units.filter { !$0.required }.map(\.term)
        #expect(required.contains("国贸中心") && required.contains("妇女") && required.contains("市场") && required.contains("2021"))
        #expect(optional.contains("多少"))
        #expect(!required.contains("多少"))
    }

    @Test("traditional and simplified queries give the same words")
    func traditional() {
        #expect(analyzer.queryUnits("國際貿易中心 婦女").map(\.term) == analyzer.queryUnits("国际贸易中心 妇女").map(\.term))
    }

    @Test("Taiwan vocabulary has its mainland word, the same when asked again",
          .enabled(if: RegionalVocabulary.shared != nil), arguments: [
              ("塑膠", "塑料"), ("軟體", "软件"), ("妇女", nil), ("ITC", nil), ("塑膠", "塑料"), ("妇女", nil),
          ] as [(String, String?)])
    func mainland(_ word: String, _ expected: String?) throws {
        let vocabulary = try #require(RegionalVocabulary.shared)
        // Twice: the second answer comes from what the first remembered.
        #expect(vocabulary.mainland(word) == expected)
        #expect(vocabulary.mainland(word) == expected)
    }

    @Test("a word's spelling is its characters, for the phrase fallback")
    func spelling() {
        let unit = analyzer.queryUnits("泥炭地").first
        #expect(unit?.spelling == ["泥", "炭", "地"])
        #expect(unit?.term == "泥炭地")
    }
}

@Suite("Bad input")
struct BadInputTests {
    @Test("NULs, replacement characters, no Han at all, emoji: no crash, sensible terms")
    func odd() {
        #expect(terms("a\u{0}b") == ["a", "b"])
        #expect(terms("\u{FFFD}\u{FFFD}妇女").contains("妇女"))
        #expect(terms("only latin words here") == ["only", "latin", "words", "here"])
        #expect(terms("🙂🙂") == [])
        #expect(analyzer.tokens("").isEmpty)
    }

    @Test("a single 10 MB line is linear, not quadratic")
    func longLine() {
        let unit = "国际贸易中心协助妇女进入市场 COVID-19 68 680 900 "
        let text = String(repeating: unit, count: 10_000_000 / unit.utf8.count)
        var count = 0
        analyzer.analyze(text) { _ in count += 1 }
        #expect(count > 1_000_000)
    }

    @Test("a missing or malformed lexicon is a clear error naming the file and line")
    func badLexicon() throws {
        let dir = NSTemporaryDirectory() + "plansearch-lexicon-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: AnalyzerError.self) {
            _ = try Analyzer(options: .init(lexicons: [dir + "/missing.txt"], cacheDirectory: dir))
        }
        let bad = dir + "/bad.txt"
        try Data([0xFF, 0xFE, 0x00]).write(to: URL(fileURLWithPath: bad))
        do {
            _ = try Analyzer(options: .init(lexicons: [bad], cacheDirectory: dir))
            Issue.record("a non-UTF-8 lexicon was accepted")
        } catch let error as AnalyzerError {
            #expect(error.description.contains(bad))
        }
        // A malformed line in a general (jieba-format) dictionary names the line.
        do {
            try Lexicon.parse(bad.replacingOccurrences(of: "bad", with: "jieba"), general: true) { _, _ in }
        } catch let error as AnalyzerError {
            #expect(error.description.contains("jieba"))
        }
        let jiebaLike = dir + "/dict.txt"
        try Data("妇女 100 n\n坏行没有频率\n".utf8).write(to: URL(fileURLWithPath: jiebaLike))
        do {
            try Lexicon.parse(jiebaLike, general: true) { _, _ in }
            Issue.record("a malformed line was accepted")
        } catch let error as AnalyzerError {
            #expect(error.description.contains("\(jiebaLike):2"))
        }
        // CRLF line ends: each line is its own word (a Windows-edited lexicon was one line).
        let windows = dir + "/windows.txt"
        try Data("妇女署 5\r\n泥炭地保护区\r\n# comment\r\nUN Women\r\n".utf8).write(to: URL(fileURLWithPath: windows))
        var words: [String] = []
        try Lexicon.parse(windows, general: false) { word, _ in words.append(word) }
        #expect(words == ["妇女署", "泥炭地保护区", "UNWomen"])
        // A word too long to be an index term (a whole sentence pasted in) names its line; one of
        // the longest allowed length is fine.
        let project = dir + "/project.txt"
        let longest = String(repeating: "贸", count: Lexicon.maxWordCharacters)
        try Data("妇女署\n\(longest) 5\n\(longest)易\nUN Women\n".utf8).write(to: URL(fileURLWithPath: project))
        do {
            var words: [String] = []
            try Lexicon.parse(project, general: false) { word, _ in words.append(word) }
            Issue.record("a word of \(Lexicon.maxWordCharacters + 1) characters was accepted: \(words.count) words")
        } catch let error as AnalyzerError {
            #expect(error.description.contains("\(project):3"))
        }
    }

    @Test("the compiled lexicon cache is reused and rebuilt when a source changes")
    func cache() throws {
        let dir = NSTemporaryDirectory() + "plansearch-cache-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let extra = dir + "/extra.txt"
        try Data("泥炭地保护区\n".utf8).write(to: URL(fileURLWithPath: extra))
        let first = try Analyzer(options: .init(lexicons: [extra], cacheDirectory: dir))
        #expect(first.lexicon.contains("泥炭地保护区"))
        let caches = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("lexicon-") }
        #expect(caches.count == 1)
        let start = Date()
        let second = try Analyzer(options: .init(lexicons: [extra], cacheDirectory: dir))
        #expect(Date().timeIntervalSince(start) < 5)  // generous: only proves it does not re-parse forever
        #expect(second.lexicon.contains("泥炭地保护区"))
        // The fingerprint an index records names the words, not the file: the same from the
        // cache, and the same again when a touched file is parsed anew.
        #expect(second.fingerprint == first.fingerprint)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 100)], ofItemAtPath: extra)
        let touched = try Analyzer(options: .init(lexicons: [extra], cacheDirectory: dir))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("lexicon-") }.count == 2)
        #expect(touched.fingerprint == first.fingerprint)
        Thread.sleep(forTimeInterval: 0.01)
        try Data("红树林恢复区\n".utf8).write(to: URL(fileURLWithPath: extra))
        let third = try Analyzer(options: .init(lexicons: [extra], cacheDirectory: dir))
        #expect(third.lexicon.contains("红树林恢复区"))
        #expect(!third.lexicon.contains("泥炭地保护区"))
        #expect(third.fingerprint != first.fingerprint)
    }

    @Test("a damaged cache with a good signature is rebuilt, not trusted", arguments: [2, 3])
    func damagedCache(_ field: Int) throws {
        let dir = NSTemporaryDirectory() + "plansearch-cache-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let extra = dir + "/extra.txt"
        try Data("泥炭地保护区\n".utf8).write(to: URL(fileURLWithPath: extra))
        _ = try Analyzer(options: .init(lexicons: [extra], cacheDirectory: dir))
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasPrefix("lexicon-") })
        // The entry count or the longest word's length: 2^64 - 1.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))
        for i in (field * 8)..<(field * 8 + 8) { bytes[i] = 0xFF }
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name))
        let reloaded = try Analyzer(options: .init(lexicons: [extra], cacheDirectory: dir))
        #expect(reloaded.lexicon.contains("泥炭地保护区"))
    }
}

@Suite("Segmentation agrees with the lexicon on corpus sentences", .enabled(if: FileManager.default.fileExists(atPath: corpusFile)))
struct CorpusSegmentationTests {
    @Test("known words of the ITC plan come out whole")
    func itcWords() throws {
        let text = try String(contentsOfFile: corpusFile, encoding: .utf8)
        let found = terms(String(text.prefix(20_000)))
        #expect(found.count > 100)
        for word in ["国际贸易中心", "国贸中心", "中小微企业", "最不发达国家", "可持续发展", "电子商务", "妇女", "能力建设"] {
            #expect(found.contains(word), "\(word) is not a term")
        }
    }
}

let corpusFile: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return locateCorpus(root: url.path) + "/itc-programme-plan-2021.txt"
}()

/// The shared corpus: $PLANSEARCH_CORPUS, else ../shared/corpus beside the checkout, else the
/// workspace's copy. Tests that need it are skipped (not failed) when it is nowhere.
func locateCorpus(root: String) -> String {
    let candidates = [ProcessInfo.processInfo.environment["PLANSEARCH_CORPUS"] ?? "",
                      URL(fileURLWithPath: root + "/../shared/corpus").standardizedFileURL.path,
                      "/work/shared/corpus"]
    for candidate in candidates where !candidate.isEmpty
        && FileManager.default.fileExists(atPath: candidate + "/itc-programme-plan-2021.txt") {
        return candidate
    }
    return candidates[1]
}

@Suite("One scratch across many texts")
struct ScratchReuseTests {
    /// Texts in orders that would show leftovers: long before short, Han runs with sub-words
    /// before runs without, Latin tokens with parts before text with none, an empty text, and one
    /// past the size at which the scratch is let go.
    static let texts: [String] = [
        "可持续发展目标 8(促进持久、包容和可持续的经济增长、充分的生产性就业和人人获得体面工作)以及联合国工业发展组织(工发组织)的任务",
        "妇女",
        "A/RES/75/243 COVID-19 e-deleGATE 68 680 900 瑞士法郎 从以往期间的 45%提高到至少 50%",
        "",
        "国",
        "Akoma Ntoso standard",
        "特别是最不发达国家\n的中小微企业",
        String(repeating: "国际贸易中心的目标受益者 ITC-2021 ", count: 3_000),
        "2030年议程",
        "聯合國國際貿易中心 ＣＯＶＩＤ－１９",
        "。，、",
    ]

    struct Output: Equatable {
        var next: UInt32
        var postingBytes: [UInt8], postingLengths: [UInt32], positions: [UInt32]
        var termBytes: [UInt8], termLengths: [UInt32]

        init(_ next: UInt32, _ batch: TermBatch) {
            self.next = next
            postingBytes = batch.postingBytes
            postingLengths = batch.postingLengths
            positions = batch.positions
            termBytes = batch.termBytes
            termLengths = batch.termLengths
        }
    }

    @Test("the terms are those of a fresh analysis of each text, in either order")
    func sameTermsAsFresh() {
        var scratch = Analyzer.Scratch()
        var reused = TermBatch()
        let sequence = Self.texts + Self.texts.reversed() + Self.texts
        for (index, text) in sequence.enumerated() {
            let positional = index % 3 != 2
            var fresh = TermBatch(positional: positional)
            let expected = Output(analyzer.analyzeTerms(text, startPosition: 5, into: &fresh), fresh)
            reused.positional = positional
            let got = Output(analyzer.analyzeTerms(text, startPosition: 5, into: &reused, scratch: &scratch), reused)
            #expect(got == expected, "text \(index): \(text.prefix(30))")
        }
    }

    @Test("the terms agree with the Token API")
    func sameTermsAsTokens() {
        var scratch = Analyzer.Scratch()
        var batch = TermBatch(positional: true)
        var unpositioned = TermBatch(positional: false)
        for text in Self.texts {
            analyzer.analyzeTerms(text, into: &batch, scratch: &scratch)
            analyzer.analyzeTerms(text, into: &unpositioned, scratch: &scratch)
            let tokens = analyzer.tokens(text)
            var kept: [Bool] = []
            _ = analyzer.analyzeTerms(text) { kept.append($0.keptWithoutPositions) }
            #expect(kept.count == tokens.count)
            let positioned = tokens.filter { $0.position > 0 }, other = tokens.filter { $0.position == 0 }
            #expect(batch.postingBytes == positioned.flatMap { Array($0.term.utf8) })
            #expect(batch.positions == positioned.map(\.position))
            #expect(batch.termBytes == other.flatMap { Array($0.term.utf8) })
            #expect(batch.unindexed == 0)
            // Without positions, no word across two segmented words (one inside no `.word`).
            let words = tokens.filter { $0.kind == .word }
            let across = tokens.map { token in
                token.kind == .subword && !words.contains { $0.start <= token.start && token.end <= $0.end }
            }
            let indexed = zip(tokens, zip(kept, across)).filter { $1.0 && !$1.1 }.map(\.0)
            #expect(unpositioned.termBytes == indexed.flatMap { Array($0.term.utf8) })
            #expect(unpositioned.termLengths == indexed.map { UInt32($0.term.utf8.count) })
            #expect(unpositioned.positions.isEmpty)
            #expect(unpositioned.unindexed == tokens.count - across.filter { $0 }.count - indexed.count)
        }
    }
}

@Suite("Fields without positions")
struct UnpositionedFieldTests {
    static let cases: [(text: String, kept: [String], unindexed: Int)] = [
        // Characters inside words go (no phrase can use them without positions); a character the
        // segmentation leaves alone (和, 水, 国) stays, for a one-character query word.
        ("次级方案 1 妇女经济赋权和水", ["次级", "次级方案", "方案", "1", "和", "水", "妇女", "经济", "赋权"], 10),
        ("国", ["国"], 0),
        ("妇女", ["妇女"], 2),
        // No word across two segmented words (外资 in 预算外|资金): the body has those.
        ("预算外资金", ["预算", "预算外", "资金"], 5),
        // Latin tokens and their parts are all kept.
        ("COVID-19 应对", ["covid-19", "covid", "19", "应对"], 2),
        ("", [], 0),
    ]

    @Test("only Han characters inside longer words are left out, and counted", arguments: cases)
    func kept(_ c: (text: String, kept: [String], unindexed: Int)) {
        var batch = TermBatch(positional: false)
        analyzer.analyzeTerms(c.text, into: &batch)
        var terms: [String] = []
        var offset = 0
        for length in batch.termLengths {
            terms.append(String(decoding: batch.termBytes[offset..<offset + Int(length)], as: UTF8.self))
            offset += Int(length)
        }
        #expect(terms == c.kept)
        #expect(batch.unindexed == c.unindexed)
        #expect(batch.positions.isEmpty && batch.postingBytes.isEmpty)
    }
}
