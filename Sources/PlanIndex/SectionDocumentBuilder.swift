import Foundation
import XapianKit

/// Builds the Xapian document for one section: body, heading and title as fields (each also
/// unprefixed so a plain query finds them, after a position gap so no phrase spans two fields),
/// filter terms, value slots and the stored section.
public struct SectionDocumentBuilder: Sendable {
    public let layout: IndexLayout
    public let analyzer: any DocumentAnalyzer

    public init(layout: IndexLayout, analyzer: any DocumentAnalyzer) {
        self.layout = layout
        self.analyzer = analyzer
    }

    public func document(for section: Section, of document: SectionedDocument) throws -> Document {
        let schema = layout.schema
        var doc = Document()
        var position: UInt32 = 1
        let fields = schema.fields
        let body = fields.body.weight > 0 ? UInt32(fields.body.weight) : 1
        position = analyzer.index(section.text, prefix: fields.body.prefix, wdf: body, from: position, into: &doc)

        // The heading path: its labels and titles, as a field and (boosted) in the body's space.
        let headingText = zip(section.heading, section.headingTitles)
            .map { $1.isEmpty ? $0 : "\($0) \($1)" }.joined(separator: "\n")
        if !headingText.isEmpty {
            let boost = UInt32(max(1, (schema.ranking.headingBoost * Double(max(1, fields.heading.weight))).rounded()))
            _ = analyzer.index(headingText, prefix: fields.heading.prefix, wdf: 1, from: 1, into: &doc)
            position = analyzer.index(headingText, prefix: fields.body.prefix, wdf: boost,
                                      from: position + IndexLayout.fieldGap, into: &doc)
        }
        if !document.title.isEmpty {
            let boost = UInt32(max(1, (schema.ranking.titleBoost * Double(max(1, fields.title.weight))).rounded()))
            _ = analyzer.index(document.title, prefix: fields.title.prefix, wdf: 1, from: 1, into: &doc)
            if schema.ranking.titleBoost > 0 {
                _ = analyzer.index(document.title, prefix: fields.body.prefix, wdf: boost,
                                   from: position + IndexLayout.fieldGap, into: &doc)
            }
        }
        if let para = section.paragraph {
            doc.addTerm(fields.paragraph.prefix + para.lowercased(), wdfIncrement: 0)
        }

        doc.addBooleanTerm(layout.sectionTerm(section.id))
        doc.addBooleanTerm(layout.documentTerm(document.id))
        doc.addBooleanTerm(layout.kindTerm(section.kindName))
        for heading in section.heading { doc.addBooleanTerm(layout.headingTerm(heading)) }
        for title in section.headingTitles where !title.isEmpty { doc.addBooleanTerm(layout.headingTerm(title)) }

        doc.setValue(document.id, slot: schema.values.document)
        if let year = document.year { doc.setValue(number: Double(year), slot: schema.values.year) }
        doc.setValue(number: Double(section.ordinal), slot: schema.values.order)

        let stored = StoredSection(section: section, title: document.title, file: document.file)
        doc.data = Array(try JSONEncoder().encode(stored))
        return doc
    }
}
