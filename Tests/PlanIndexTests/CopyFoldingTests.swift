import Foundation
@testable import PlanIndex
import PlanProtocol
import Testing

@Suite("Copy keys: the same text, whatever its spacing and paragraph number")
struct CopyKeyTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var a: (text: String, para: String?)
        var b: (text: String, para: String?)
        var same: Bool
        var testDescription: String { "\(a.text) / \(b.text)" }
    }

    static let cases: [Case] = [
        // The ITC plan repeats the UN plan's paragraphs under its own numbers.
        Case(a: ("10.88 国贸中心将继续与联合国其他机构密切合作。", "10.88"), b: ("13.21 国贸中心将继续与联合国其他机构密切合作。", "13.21"), same: true),
        // PDF line breaks and spaces fall in different places.
        Case(a: ("国贸中心将继续与联合国\n其他机构密切合作。", nil), b: ("国贸中心 将继续与联合国其他机构\u{3000}密切合作。", nil), same: true),
        Case(a: ("A/75/6 (Sect. 10)", nil), b: ("A/75/6(Sect.10)", nil), same: true),
        // One character differs: not a copy.
        Case(a: ("国贸中心将继续与联合国其他机构密切合作。", nil), b: ("国贸中心将继续与联合国其他机构紧密合作。", nil), same: false),
        // A number inside the text is part of it; only the paragraph's own leading number goes.
        Case(a: ("10.88 协助 300 万名妇女。", "10.88"), b: ("10.88 协助 200 万名妇女。", "10.88"), same: false),
        Case(a: ("协助 10.88 万名妇女。", "10.88"), b: ("协助万名妇女。", "10.88"), same: false),
        // A paragraph number is not stripped from a section that has none.
        Case(a: ("2. 秘书长的报告", nil), b: ("3. 秘书长的报告", nil), same: false),
        Case(a: ("2. 秘书长的报告", "2"), b: ("3. 秘书长的报告", "3"), same: true),
        // A paragraph that opens under a heading starts with the heading's lines; its number
        // starts the line after them (lines "目标", "10.82 本次级方案…").
        Case(a: ("目标\n10.82 本次级方案促进的目标。", "10.82"), b: ("目标\n13.4 本次级方案促进的目标。", "13.4"), same: true),
        // Only where it begins a line: the same number inside a line stays.
        Case(a: ("目标 10.82 本次级方案。", "10.82"), b: ("目标 13.4 本次级方案。", "13.4"), same: false),
    ]

    /// A section whose lines are the text's lines, as the sectioner makes them (here they keep
    /// their line breaks, which the copy key ignores like any whitespace).
    static func section(_ text: String, _ para: String?) -> Section {
        var starts = [0]
        for (i, scalar) in text.unicodeScalars.enumerated() where scalar == "\n" { starts.append(i + 1) }
        return Section(id: "x", document: "d", kind: .paragraph, kindName: "paragraph", heading: [], headingTitles: [],
                       paragraph: para, lines: Array(1...starts.count), lineStarts: starts, startOffset: 0,
                       endOffset: text.unicodeScalars.count, text: text, ordinal: 0)
    }

    @Test(arguments: cases)
    func key(_ c: Case) {
        let a = CopyKey.of(Self.section(c.a.text, c.a.para))
        let b = CopyKey.of(Self.section(c.b.text, c.b.para))
        #expect((a == b) == c.same)
        #expect(a.count == 16)
    }

    @Test("its whitespace is Unicode's White_Space, for every scalar")
    func whitespace() {
        let differing = (0...0x10FFFF).compactMap(Unicode.Scalar.init).filter {
            CopyKey.isWhitespace($0) != $0.properties.isWhitespace
        }
        #expect(differing.isEmpty, "\(differing.prefix(5).map { String($0.value, radix: 16) })")
    }
}

@Suite("Copies of a section show as one hit that lists the others")
final class CopyFoldingTests {
    let scratch: Scratch
    let searcher: Searcher
    static let query = "会议时地分配办法"
    /// Every section the query matches.
    static let sections = 60 + 6

    init() throws {
        scratch = try Scratch()
        // 60 distinct paragraphs, so that the hits go past `rerankDepth`, of different lengths so
        // that they rank in a fixed order.
        var plan = ""
        for n in 1...60 {
            plan += " 1.\(n) 大会关于会议时地分配办法的第\(n)号决议" + String(repeating: "，涉及会议服务", count: n % 7) + "。 \n\n"
        }
        try scratch.write("plans/un.txt", plan)
        // The same six paragraphs again under other numbers, as the ITC plan repeats the UN plan's.
        var copies = ""
        for n in [1, 2, 3, 10, 30, 55] {
            copies += " 13.\(n) 大会关于会议时地分配办法的第\(n)号决议" + String(repeating: "，涉及会议服务", count: n % 7) + "。 \n\n"
        }
        try scratch.write("plans/itc.txt", copies)
        searcher = try plansearchIndex(of: scratch)
    }

    @Test("folded: each text once, its copies listed with where they are; unfolded: every section")
    func foldedAndNot() throws {
        let folded = try searcher.search(SearchParams(query: Self.query, limit: 100))
        let all = try searcher.search(SearchParams(query: Self.query, limit: 100, foldCopies: false))
        #expect(all.hits.count == Self.sections)
        #expect(all.hits.allSatisfy { $0.copies == nil })
        let listed = folded.hits.flatMap { [$0.id] + ($0.copies ?? []).map(\.id) }
        // No section twice, none lost.
        #expect(listed.count == Set(listed).count)
        #expect(Set(listed) == Set(all.hits.map(\.id)))
        let withCopies = folded.hits.filter { $0.copies != nil }
        #expect(!withCopies.isEmpty)
        for hit in withCopies {
            for copy in hit.copies ?? [] {
                let section = try #require(try searcher.section(id: copy.id))
                let kept = try #require(try searcher.section(id: hit.id))
                #expect(Self.content(section) == Self.content(kept))
                #expect(copy.file.hasSuffix(".txt") && copy.file != hit.file)
                #expect(copy.line == section.line)
                #expect(copy.doc != hit.doc)
            }
        }
        // `total` leaves out the copies folded into hits.
        #expect(folded.total == folded.hits.count)
        #expect(all.total == Self.sections)
    }

    /// A section's text without its paragraph number and whitespace.
    static func content(_ s: SectionResult) -> String {
        String(s.text.drop { $0.isWhitespace }.dropFirst(s.para?.count ?? 0).filter { !$0.isWhitespace })
    }

    @Test("paging through and past the folded hits shows every section once", arguments: [1, 7, 10, 33, 40])
    func paging(_ pageSize: Int) throws {
        let all = try searcher.search(SearchParams(query: Self.query, limit: 100))
        var paged: [SearchHit] = []
        var offset = 0
        while offset < 100 {
            let page = try searcher.search(SearchParams(query: Self.query, limit: pageSize, offset: offset))
            paged += page.hits
            if page.hits.count < pageSize { break }
            offset += pageSize
        }
        #expect(paged.map(\.id) == all.hits.map(\.id))
        #expect(paged.map(\.rank) == Array(1...all.hits.count))
    }
}

@Suite("Many copies among the best hits")
final class ManyCopiesTests {
    let scratch: Scratch
    let searcher: Searcher

    init() throws {
        scratch = try Scratch()
        // Every one of 60 paragraphs twice: about half of any best 40 are copies, so the page
        // comes back full only if the search fetched enough hits beyond it.
        for name in ["un", "itc"] {
            var plan = ""
            for n in 1...60 {
                plan += " \(name == "un" ? 1 : 13).\(n) 大会关于会议时地分配办法的第\(n)号决议" + String(repeating: "，涉及会议服务", count: n % 7) + "。 \n\n"
            }
            try scratch.write("plans/\(name).txt", plan)
        }
        searcher = try plansearchIndex(of: scratch)
    }

    @Test("a page of 40 comes back full, the same as four pages of 10")
    func fullPage() throws {
        let page = try searcher.search(SearchParams(query: CopyFoldingTests.query, limit: 40))
        #expect(page.hits.count == 40)
        #expect(Set(page.hits.map(\.id)).count == 40)
        // The best `rerankDepth` are folded: those kept name their copy.
        let folded = page.hits.compactMap(\.copies).reduce(0) { $0 + $1.count }
        #expect(folded > 10)
        let kept = page.hits.prefix(Searcher.rerankDepth - folded)
        let texts = try kept.map { try #require(try searcher.section(id: $0.id)) }.map(CopyFoldingTests.content)
        #expect(Set(texts).count == kept.count)
        let pages = try (0..<4).flatMap { try searcher.search(SearchParams(query: CopyFoldingTests.query, limit: 10, offset: $0 * 10)).hits }
        #expect(pages.map(\.id) == page.hits.map(\.id))
    }
}

@Suite("Stored sections read back, and damaged ones refused")
struct StoredSectionCodingTests {
    static let section = CopyKeyTests.section("13.1 国际贸易中心\n协助妇女", "13.1")

    @Test("a section reads back as it was stored")
    func roundTrip() throws {
        let stored = StoredSection(section: Self.section, title: "计划", file: "/plans/a.txt")
        #expect(try StoredSection(decoding: stored.encoded()) == stored)
    }

    @Test("where a section is reads back alone as the whole section gives it", arguments: [
        [], [7], [3, 4, 9],
    ])
    func location(_ lines: [Int]) throws {
        var section = Self.section
        section.lines = lines
        section.lineStarts = lines.indices.map { $0 * 3 }
        section.heading = ["第二章", "次级方案 6"]
        section.headingTitles = ["", "大会决议"]
        let stored = StoredSection(section: section, title: "计划", file: "/plans/a.txt")
        let bytes = stored.encoded()
        let found = try StoredSection.location(decoding: bytes)
        #expect(found.id == section.id && found.document == section.document)
        #expect(found.firstLine == section.firstLine && found.file == "/plans/a.txt")
        for cut in [0, 1, 5, bytes.count / 2, bytes.count - 1] {
            #expect(throws: IndexError.self) { try StoredSection.location(decoding: Array(bytes.prefix(cut))) }
        }
    }

    @Test("cut short, or with a length no data could have, it is an error, not a crash")
    func damaged() throws {
        let bytes = StoredSection(section: Self.section, title: "计划", file: "/plans/a.txt").encoded()
        for cut in [0, 1, 5, bytes.count / 2, bytes.count - 1] {
            #expect(throws: IndexError.self) { try StoredSection(decoding: Array(bytes.prefix(cut))) }
        }
        // Version byte, then a string length of 2^63 - 1 (a varint of eight 0xFF bytes and 0x7F):
        // where the string would end overflows Int.
        let huge: [UInt8] = [StoredSection.codingVersion] + [UInt8](repeating: 0xFF, count: 8) + [0x7F] + Array("x".utf8)
        #expect(throws: IndexError.self) { try StoredSection(decoding: huge) }
    }
}
