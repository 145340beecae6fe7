import Testing
@testable import PlanIndex

/// Sections from ../shared/corpus: table rows and title lists read as fragments (0), paragraphs
/// as prose (1).
@Suite("How much a section reads as prose")
struct ProseShareTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var share: ClosedRange<Double>
        var testDescription: String { text }
    }

    static let cases: [Case] = [
        // Deliverables table rows: a number, a title, the counts per year.
        Case(text: "2. 秘书长关于会议时地分配办法的报告 1 1 1 1", share: 0...0),
        Case(text: "14. 减少灾害风险专家组会议 4 8 — 4", share: 0...0),
        // A list of resolutions under 大会决议.
        Case(text: "大会决议47/202 会议时地分配办法", share: 0...0),
        Case(text: "69/283 《2015-2030 年仙台减少灾害风险框架》73/139 加强联合国人道主义紧急援助的协调74/218 减少灾害风险",
             share: 0...0),
        // A figure label.
        Case(text: "循环经济做法", share: 0...0),
        // Paragraphs.
        Case(text: "13.31 如表 13.3 所示，预算外资源估计值为 96 416 100 瑞士法郎，将用于补充经常资源。", share: 1...1),
        Case(text: "最近，查塔姆研究所-工发组织的一份出版物借鉴工发组织在智利和乌拉圭的经验，指明了循环经济的机会。", share: 1...1),
        Case(text: "The ITC Trade Map covers 220 countries, and it is updated monthly. Users rely on it.", share: 1...1),
        // Numbers with points and commas are not sentence ends.
        Case(text: "13.2 13.3 1,000 2.5", share: 0...0),
        // A long paragraph with a single comma is mostly list.
        Case(text: String(repeating: "工发组织技术合作执行额", count: 12) + "，" + String(repeating: "贸易", count: 30), share: 0.1...0.2),
        Case(text: "", share: 0...0),
        Case(text: "1 2 3 — —", share: 0...0),
    ]

    @Test("prose share", arguments: cases)
    func share(_ c: Case) {
        let share = ProseShare.of(c.text)
        #expect(c.share.contains(share), "\(share)")
    }
}
