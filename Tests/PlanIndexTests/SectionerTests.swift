import Foundation
import Testing
@testable import PlanIndex

@Suite("Splitting plans into sections")
struct SectionerTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        /// (kind, paragraph, heading path joined by " > ", first line, last line, text prefix)
        var expected: [(String, String?, String, Int, Int, String)]
        var testDescription: String { name }
    }

    // Real lines from ../shared/corpus, shortened, with the PDF layout kept.
    static let cases: [Case] = [
        Case(name: "numbered paragraphs under programme headings (UN plan)", text: """
             第二章 \n\n  2021 年方案计划 \n\n方案 1 \n\n  大会和经济及社会理事会事务和会议管理 \n\n  总方向 \n\n\
             1.1 大会和会议管理部的任务授权来自联合国主要机关的有关议事规则和决议，包 \n\n括大会第 43/222 A-E 号决议。 \n\n\
             1.2 第二段。 \n
             """, expected: [
                ("paragraph", "1.1", "第二章 > 方案 1 > 总方向", 1, 13, "第二章2021 年方案计划方案 1大会"),
                ("paragraph", "1.2", "第二章 > 方案 1 > 总方向", 15, 15, "1.2 第二段。"),
             ]),
        Case(name: "a lettered part sits inside its programme and ends with it; a deliverables category is not a part",
             text: """
             方案 25 \n\n  管理和支助事务 \n\n A. 管理战略、政策和合规部 \n\n  次级方案 1 \n\n  战略 \n\n25.1 第一段。 \n\n\
             表 25.1 \n\n     B. 生成和转让知识     \n\n 议事机构文件 2 2 1 2 \n\n  次级方案 2 \n\n  战略 \n\n25.2 第二段。 \n\n\
              方案 26 \n\n  内部监督 \n\n  战略 \n\n26.1 第三段。 \n
             """, expected: [
                ("paragraph", "25.1", "方案 25 > A. 管理战略、政策和合规部 > 次级方案 1 > 战略", 1, 11, "方案 25管理和支助事务A. 管理战略"),
                ("table", nil, "方案 25 > A. 管理战略、政策和合规部 > 次级方案 1 > 战略", 13, 17, "表 25.1 B. 生成和转让知识"),
                ("paragraph", "25.2", "方案 25 > A. 管理战略、政策和合规部 > 次级方案 2 > 战略", 19, 23, "次级方案 2"),
                ("paragraph", "26.1", "方案 26 > 战略", 25, 31, "方案 26内部监督"),
             ]),
        Case(name: "duty stations group their subprogrammes under the programme", text: """
             方案 1 \n\n  大会和经济及社会理事会事务和会议管理 \n\n  会议管理，纽约 \n\n  次级方案 2 \n\n会议事务的规划和协调 \n\n  目标 \n\n\
             1.44 第一段。 \n\n   日内瓦的会议管理 \n\n  次级方案 2 \n\n  目标 \n\n1.60 第二段。 \n
             """, expected: [
                ("paragraph", "1.44", "方案 1 > 会议管理，纽约 > 次级方案 2 > 目标", 1, 13, "方案 1大会"),
                ("paragraph", "1.60", "方案 1 > 日内瓦的会议管理 > 次级方案 2 > 目标", 15, 21, "日内瓦的会议管理"),
             ]),
        Case(name: "a word broken across PDF lines is joined", text: """
             13.2 大会在另一些决议中强调了以下各点：投资、增值对于可持续发展必不可 \n\n少；在全球化背景下。\n
             """, expected: [("paragraph", "13.2", "", 1, 3, "13.2 大会在另一些决议中强调了以下各点：投资、增值对于可持续发展必不可少；")]),
        Case(name: "items take their paragraph's number", text: """
               评价活动 \n\n 13.11 2019 年完成的下列自我评价： \n\n(a) 2019 年度评价综合报告； \n\n(b) 贸易便利化方案的自我评价； \n
             """, expected: [
                ("paragraph", "13.11", "评价活动", 1, 3, "评价活动13.11 2019"),
                ("item", "13.11(a)", "评价活动", 5, 5, "(a) 2019"),
                ("item", "13.11(b)", "评价活动", 7, 7, "(b) 贸易"),
             ]),
        Case(name: "URL runs at a page end are noise and do not split the paragraph", text: """
              13.5 国际贸易中心的妇女贸易倡议、 \n\nhttps://undocs.org/ch/A/RES/74/201\nhttps://undocs.org/ch/A/RES/74/201\n 青年倡议、道德时尚倡议将继续协助 \n\n全球的女业主企业。 \n
             """, expected: [
                ("paragraph", "13.5", "", 1, 7, "13.5 国际贸易中心的妇女贸易倡议、青年倡议"),
                ("noise", nil, "", 3, 4, "https://"),
             ]),
        Case(name: "a table's header cells repeated at a page break are noise and do not split the paragraph", text: """
              11. 关于贸易相关主题的文件，例如包容和可持续贸易、贸易 \n\n和市场情报。数据库涵盖贸易流动、关税和非关税措施、出 \n\n\
              类别和次类别 \n\n2019 年 \n\n计划数 \n\n2019 年 \n\n实际数 \n\n\
                  口潜力等方面的知识。这些数据库包括《妇女贸易数据库》、《市场准入地图》、《贸易地图》、 \n\n《标准地图》。 \n
             """, expected: [
                ("paragraph", "11", "", 1, 17, "11. 关于贸易相关主题的文件，例如包容和可持续贸易、贸易和市场情报。数据库涵盖贸易流动、关税和非关税措施、出口潜力"),
                ("noise", nil, "", 5, 13, "类别和次类别2019 年计划数"),
             ]),
        Case(name: "a performance table's row of years is noise", text: """
             表 1.11 \n\n2017 2018 2019 2020 2021 \n\n不适用 未收到会员国投诉 未收到会员国投诉 未收到会员国投诉 \n
             """, expected: [
                ("table", nil, "", 1, 5, "表 1.11不适用"),
                ("noise", nil, "", 3, 3, "2017 2018 2019 2020 2021"),
             ]),
        Case(name: "tables and footnotes are sections of their own", text: """
             1.20 表 1.1 按类别列示。 \n\n表 1.1 \n\n按类别和次类别列示的应交付产出 \n\n 议事机构文件(文件数目) 2 2 1 2 \n\n  评价活动 \n\n\
             1.21 下列自我评价。 \n\n__________________ \n\n 1 A/75/6 (Sect. 2)、A/75/6 (Sect. 3) \n\nhttps://undocs.org/ch/A/75/6\n
             """, expected: [
                ("paragraph", "1.20", "", 1, 1, "1.20 表 1.1"),
                ("table", nil, "", 3, 7, "表 1.1按类别"),
                ("paragraph", "1.21", "评价活动", 9, 11, "评价活动1.21"),
                ("footnote", nil, "评价活动", 13, 15, "__________________ 1 A/75/6"),
                ("noise", nil, "评价活动", 17, 17, "https://"),
             ]),
        Case(name: "Chinese-numeral headings and full-width digits", text: """
             一、总体情况 \n\n１３.２ 全角数字的段落。 \n
             """, expected: [("paragraph", "13.2", "一、总体情况", 1, 3, "一、总体情况１３.２")]),
        Case(name: "Latin words across a line break keep a space", text: """
             2.1 The e-deleGATE \n\nportal 门户。 \n
             """, expected: [("paragraph", "2.1", "", 1, 3, "2.1 The e-deleGATE portal 门户。")]),
    ]

    @Test("table of layouts", arguments: cases)
    func split(_ c: Case) throws {
        let schema = try loadSchema("un-plan")
        let doc = Sectioner(schema: schema).split(text: c.text, documentID: "t.txt", file: "/t.txt")
        let got = doc.sections.map { s in
            (s.kindName, s.paragraph, s.heading.joined(separator: " > "), s.firstLine, s.lastLine, s.text)
        }
        #expect(got.count == c.expected.count, "\(got.map { "\($0.0) \($0.1 ?? "-") \($0.3)-\($0.4) \($0.5.prefix(20))" })")
        for (g, e) in zip(got, c.expected) {
            #expect(g.0 == e.0)
            #expect(g.1 == e.1)
            #expect(g.2 == e.2)
            #expect(g.3 == e.3 && g.4 == e.4, "lines \(g.3)-\(g.4), expected \(e.3)-\(e.4)")
            #expect(g.5.hasPrefix(e.5), "text \(g.5.prefix(40))")
        }
    }

    @Test("a file with CRLF line ends splits as with LF: same sections, lines and text",
          .enabled(if: Paths.hasCorpus, "needs ../shared/corpus"))
    func crlf() throws {
        let schema = try loadSchema("un-plan")
        let lf = try String(contentsOfFile: Paths.corpus + "/itc-programme-plan-2021.txt", encoding: .utf8)
        let crlf = lf.replacingOccurrences(of: "\n", with: "\r\n")
        let a = Sectioner(schema: schema).split(text: lf, documentID: "d", file: "/d")
        let b = Sectioner(schema: schema).split(text: crlf, documentID: "d", file: "/d")
        #expect(b.sections.count == a.sections.count && a.sections.count > 50)
        #expect(b.title == a.title && b.year == a.year)
        #expect(b.sections.map(\.text) == a.sections.map(\.text))
        #expect(b.sections.map(\.lines) == a.sections.map(\.lines))
        // Offsets point into the CRLF text: a section's text starts where its first line does.
        let scalars = Array(crlf.unicodeScalars)
        for section in b.sections.prefix(40) {
            let start = String(String.UnicodeScalarView(scalars[section.startOffset..<min(scalars.count, section.startOffset + 2)]))
            #expect(section.text.hasPrefix(start.trimmingCharacters(in: .whitespaces)) || start.first?.isWhitespace == true, "\(section.id)")
        }
    }

    @Test("plain-text schema: paragraphs by blank lines and indentation")
    func plainText() throws {
        let schema = try loadSchema("plain-text")
        let text = "标题\n\n第一段第一行\n第一段第二行\n\n第二段\n  缩进开始的第三段\n"
        let doc = Sectioner(schema: schema).split(text: text, documentID: "p.txt", file: "/p.txt")
        #expect(doc.sections.map(\.text) == ["标题", "第一段第一行第一段第二行", "第二段", "缩进开始的第三段"])
        #expect(doc.sections.map(\.firstLine) == [1, 3, 6, 7])
        #expect(doc.title == "标题")
    }

    @Test("a line of only wide or zero-width spaces is blank, and later lines keep their numbers",
          arguments: ["\u{2003}\u{2003}", "\u{200B}", " \u{3000}\u{202F}\t"])
    func wideSpaceLine(_ blank: String) throws {
        let schema = try loadSchema("plain-text")
        let text = "标题\n\n第一段第一行\n\(blank)\n第二段第一行\n第二段第二行\n"
        let doc = Sectioner(schema: schema).split(text: text, documentID: "p.txt", file: "/p.txt")
        #expect(doc.sections.map(\.text) == ["标题", "第一段第一行", "第二段第一行第二段第二行"])
        #expect(doc.sections.map(\.lines) == [[1], [3], [5, 6]])
        #expect(doc.sections.allSatisfy { $0.lines.count == $0.lineStarts.count })
        #expect(doc.sections.last?.line(atTextOffset: 6) == 6)
    }

    @Test("the same text gives the same ids; an edit changes only its own section's id")
    func stableIDs() throws {
        let schema = try loadSchema("un-plan")
        let text = " 13.1 第一段。 \n\n 13.2 第二段。 \n\n 13.3 第三段。 \n"
        let a = Sectioner(schema: schema).split(text: text, documentID: "d", file: "/d")
        let b = Sectioner(schema: schema).split(text: text, documentID: "d", file: "/d")
        #expect(a.sections.map(\.id) == b.sections.map(\.id))
        let edited = Sectioner(schema: schema).split(text: text.replacingOccurrences(of: "第二段", with: "改过的第二段"),
                                                     documentID: "d", file: "/d")
        #expect(edited.sections[0].id == a.sections[0].id)
        #expect(edited.sections[1].id != a.sections[1].id)
        #expect(edited.sections[2].id == a.sections[2].id)
        #expect(Set(a.sections.map(\.id)).count == 3)
    }

    @Test("every non-blank line of every corpus file lands in exactly one section", .enabled(if: Paths.hasCorpus, "needs ../shared/corpus"),
          arguments: Paths.corpusFiles)
    func nothingLost(_ name: String) throws {
        let schema = try loadSchema("un-plan")
        let text = try String(contentsOfFile: Paths.corpus + "/" + name, encoding: .utf8)
        let doc = Sectioner(schema: schema).split(text: text, documentID: name, file: Paths.corpus + "/" + name)
        var owner: [Int: Int] = [:]
        for (i, section) in doc.sections.enumerated() {
            for line in section.lines {
                #expect(owner[line] == nil, "line \(line) is in two sections")
                owner[line] = i
            }
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, line) in lines.enumerated() where !line.allSatisfy(\.isWhitespace) {
            #expect(owner[i + 1] != nil, "line \(i + 1) belongs to no section: \(line.prefix(30))")
        }
        // No section is unreasonably long: hits must point near their match.
        #expect(doc.sections.allSatisfy { $0.text.count < schema.paragraphs.maxChars * 3 })
        // Every section's text is its lines' text, joined.
        let sample = try #require(doc.sections.first { $0.lines.count > 2 && $0.kind != .noise })
        let first = String(lines[sample.firstLine - 1]).trimmingCharacters(in: .whitespaces)
        #expect(sample.text.hasPrefix(first) || sample.text.contains(first))
    }

    @Test("paragraph 13.2 of the ITC plan: heading path, lines and text", .enabled(if: Paths.hasCorpus, "needs ../shared/corpus"))
    func knownParagraph() throws {
        let schema = try loadSchema("un-plan")
        let file = Paths.corpus + "/itc-programme-plan-2021.txt"
        let doc = Sectioner(schema: schema).split(text: try String(contentsOfFile: file, encoding: .utf8),
                                                  documentID: "itc-programme-plan-2021.txt", file: file)
        let p = try #require(doc.sections.first { $0.paragraph == "13.2" })
        #expect(p.firstLine == 84)
        #expect(p.heading.last == "任务和背景")
        #expect(p.heading.contains("总方向") || p.heading.contains("任务和背景"))
        #expect(p.text.contains("可持续包容性经济增长、消除贫困的重要推动力"))
        #expect(p.line(atTextOffset: 0) == 84)
        let strategy = try #require(doc.sections.first { $0.paragraph == "13.5" })
        #expect(strategy.heading.suffix(2) == ["次级方案 6", "战略"])
        #expect(strategy.headingTitles.contains("贸易促进和出口发展的业务方面"))
        #expect(doc.year == 2021)
        // The UN plan: a subprogramme inside a programme inside chapter 2.
        let un = Paths.corpus + "/un-programme-plan-2021.txt"
        let unDoc = Sectioner(schema: schema).split(text: try String(contentsOfFile: un, encoding: .utf8),
                                                    documentID: "un", file: un)
        let s = try #require(unDoc.sections.first { $0.paragraph == "1.1" })
        #expect(s.heading.first == "第二章")
        #expect(s.heading.contains("方案 1"))
        // Every later section is inside a programme, and nothing but the chapter is above it: a
        // lettered line inside a programme (a department, or a deliverables category the PDF
        // indented) once opened a level-2 heading that outlived every later programme.
        let start = try #require(unDoc.sections.firstIndex { $0.heading.contains("方案 1") })
        var programmes = 0
        for section in unDoc.sections[start...] {
            let at = section.heading.firstIndex { $0.hasPrefix("方案 ") }
            #expect(at.map { Array(section.heading[..<$0]) } == ["第二章"],
                    "line \(section.firstLine): \(section.heading.joined(separator: " > "))")
            if let at, section.heading[at] != unDoc.sections[start].heading[at] { programmes += 1 }
        }
        #expect(programmes > 1000)
    }

    @Test("a short indented line is a heading by its indent alone only if it reads as one", arguments: [
        ("构成部分 2", true), ("在实现目标方面的预期进展以及业绩计量", true), ("2008-2009 两年期组织结构和员额分配", true),
        ("推动非洲的可持续工业化", true), ("Programme 1", true), ("附件 2", true), ("会议管理,纽约", false),  // the duty-station rule's, not the indent's
        ("制定培训方案,以", false), ("采取了措施,确保", false), ("中心与其捐助者接触,争取其同意", false), ("甲,乙,丙", false),
        ("还应该指出,评价政策、准则和项目选择标", false),  // a table column's first line (，folded)
        ("流;阿拉伯最不发达国家的生产能力", false),
        ("的比较优势和关键业务范围。一般来说", false),
        ("实质性会议服务(三小时会议次数) 2 2 2 2", false), ("l. 影响运输的海关问题工作组 46 46 46 46", false),
        ("1 —", false), ("10 15", false), ("— —", false), ("• 加蓬和刚果签署", false),
    ])
    func indentOnlyHeadings(_ line: String, _ heading: Bool) {
        #expect(SplitState.readsAsHeading(line) == heading)
    }

    @Test("a document whose first lines do not name it takes its title from its page headers", arguments: [
        // (page headers, expected title)
        (["12\u{3000}工发组织2020年年度报告", "14\u{3000}工发组织2020年年度报告"], "工发组织2020年年度报告"),
        (["工发组织2020年年度报告 15", "工发组织2020年年度报告 16", "13 另一份年度报告"], "工发组织2020年年度报告"),
        (["12\u{3000}工发组织2020年年度报告"], "总干事撰写的"),  // once is not a running header
        (["61/16 号决议的执行情况", "61/16 号决议的执行情况"], "总干事撰写的"),  // no page number
    ])
    func titleFromPageHeaders(_ headers: [String], _ expected: String) throws {
        let schema = try loadSchema("un-plan")
        let body = (1...400).map { " 第\($0)行的正文，没有标题。" }
        // The headers come after the lines scanned for a title (150).
        let text = (["总干事撰写的", "序言"] + body.prefix(200) + headers + body.suffix(200)).joined(separator: "\n")
        #expect(Sectioner(schema: schema).split(text: text, documentID: "r.txt", file: "/r.txt").title == expected)
        // A year is not a page number: repeated, 2021 年方案计划 stays whole.
        let years = (["总干事撰写的"] + body.prefix(200) + ["2021 年方案计划", "2021 年方案计划"] + body).joined(separator: "\n")
        #expect(Sectioner(schema: schema).split(text: years, documentID: "r.txt", file: "/r.txt").title == "总干事撰写的")
    }

    @Test("a line's text is trimmed of blanks exactly as Foundation's .whitespaces trims", arguments: [
        "", " ", "\t\t", "\u{3000}\u{3000}", "  1.1 文本  ", "\u{3000}表 1\u{00A0}", "\t(a) 项目\t", "中 间 空 格",
        "\u{2003}em space\u{2009}", "\u{200B}zero width\u{200B}", "\u{FEFF}bom", "行尾\r", " \u{202F}narrow",
    ])
    func trimmingBlanks(_ line: String) {
        #expect(String(SplitState.trimmingBlanks(Substring(line))) == line.trimmingCharacters(in: .whitespaces))
    }

    @Test("every character of the Basic Multilingual Plane is a blank for both or for neither")
    func blanksAgree() {
        let differing = (0...0xFFFF).compactMap(Unicode.Scalar.init).filter { scalar in
            let line = String(scalar) + "a" + String(scalar) + "b" + String(scalar)
            return String(SplitState.trimmingBlanks(Substring(line))) != line.trimmingCharacters(in: .whitespaces)
        }
        #expect(differing.isEmpty, "\(differing.map { String($0.value, radix: 16) })")
    }
}
