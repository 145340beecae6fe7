import Foundation
import XapianKit

/// Builds the Xapian document for one section: body, heading path and title as fields under
/// their own prefixes (so no phrase spans two fields), filter terms, value slots and the stored
/// section.
public struct SectionDocumentBuilder: Sendable {
    public let layout: IndexLayout
    public let analyzer: any DocumentAnalyzer

    public init(layout: IndexLayout, analyzer: any DocumentAnalyzer) {
        self.layout = layout
        self.analyzer = analyzer
    }

    public func document(for section: Section, of document: SectionedDocument) throws -> Document {
        var scratch = AnalysisScratch()
        return try self.document(for: section, of: document, scratch: &scratch)
    }

    /// The same, with the analyzer's working memory kept in `scratch`: pass one scratch to all
    /// the sections a thread builds.
    public func document(for section: Section, of document: SectionedDocument,
                         scratch: inout AnalysisScratch) throws -> Document {
        let schema = layout.schema
        var doc = Document()
        scratch.unindexedLength = 0
        let fields = schema.fields
        let body = fields.body.weight > 0 ? UInt32(fields.body.weight) : 1
        _ = analyzer.index(section.text, prefix: fields.body.prefix, wdf: body, from: 1, positional: true, into: &doc,
                           scratch: &scratch)

        // The heading path and the document title are fields of their own, without positions
        // (they are matched word by word, never as phrases); the query builder searches them
        // beside the body with a boost. Indexing them in the body's term space with positions
        // cost 40% of build time and 45% of index size for the corpus.
        let headingText = zip(section.heading, section.headingTitles)
            .map { $1.isEmpty ? $0 : "\($0) \($1)" }.joined(separator: "\n")
        if !headingText.isEmpty, fields.heading.weight > 0 {
            _ = analyzer.index(headingText, prefix: fields.heading.prefix, wdf: UInt32(fields.heading.weight), from: 1,
                               positional: false, into: &doc, scratch: &scratch)
        }
        if !document.title.isEmpty, fields.title.weight > 0 {
            _ = analyzer.index(document.title, prefix: fields.title.prefix, wdf: UInt32(fields.title.weight), from: 1,
                               positional: false, into: &doc, scratch: &scratch)
        }
        if scratch.unindexedLength > 0 {
            doc.addTerm(IndexLayout.unindexedLengthTerm, wdfIncrement: scratch.unindexedLength)
        }
        if let para = section.paragraph {
            doc.addTerm(fields.paragraph.prefix + para.lowercased(), wdfIncrement: 0)
        }

        doc.addBooleanTerm(layout.sectionTerm(section.id))
        doc.addBooleanTerm(layout.documentTerm(document.id))
        doc.addBooleanTerm(layout.kindTerm(section.kindName))
        // Each heading of the path, then each title that followed one: their filter terms and,
        // in the same order, the heading-factor value.
        let path = (section.heading + section.headingTitles.filter { !$0.isEmpty }).map { scratch.foldedHeading($0) }
        for folded in path { doc.addBooleanTerm(schema.filters.heading + folded) }

        doc.setValue(document.id, slot: schema.values.document)
        if let year = document.year { doc.setValue(number: Double(year), slot: schema.values.year) }
        doc.setValue(number: Double(section.ordinal), slot: schema.values.order)
        doc.setValue(number: ProseShare.of(section.text), slot: schema.values.prose)
        doc.setValue(CopyKey.of(section), slot: schema.values.copy)
        doc.setValue(HeadingFactors.key(folded: path), slot: schema.values.heading)

        let stored = StoredSection(section: section, title: document.title, file: document.file)
        doc.data = stored.encoded()
        return doc
    }
}
