import ArgumentParser
import Foundation
import PlanIndex

/// `plansearch sections FILE`: how a schema splits a file, for people writing schemas.
struct SectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sections", abstract: "Show how a file is split into sections.")

    @Argument(help: "The plan file.")
    var file: String

    @Option(help: "Schema name (in IndexSchemas/) or path to a schema file.")
    var schema = "un-plan"

    @Flag(help: "Print JSON: one object with the document and its sections.")
    var json = false

    @Flag(help: "Also list noise sections (URL runs, page furniture), which are not indexed.")
    var noise = false

    func run() throws {
        let loaded = try CommandSupport.loadSchema(schema)
        let source: SourceReader.Decoded
        do {
            source = try SourceReader().read(file)
        } catch {
            throw CommandError(error.description)
        }
        let absolute = URL(fileURLWithPath: file).standardizedFileURL.path
        let document = Sectioner(schema: loaded).split(
            text: source.text, documentID: (file as NSString).lastPathComponent, file: absolute,
            contentHash: source.contentHash)
        let shown = document.sections.filter { noise || $0.kind != .noise }
        if json {
            struct Output: Encodable {
                var document: String, title: String, year: Int?, file: String, hash: String
                var sections: [Section]
            }
            let output = Output(document: document.id, title: document.title, year: document.year,
                                file: document.file, hash: document.contentHash, sections: shown)
            print(try CommandSupport.jsonString(output))
            return
        }
        print("\(document.id): \(document.title)\(document.year.map { " (\($0))" } ?? "") — \(document.sections.count) sections")
        for section in shown {
            let path = section.heading.joined(separator: " > ")
            let para = section.paragraph.map { " ¶\($0)" } ?? ""
            let preview = String(section.text.prefix(60))
            print("\(section.firstLine)-\(section.lastLine) [\(section.kindName)\(para)] \(path)\n    \(preview)")
        }
    }
}

/// A failure to report as one clear line on stderr with a non-zero exit.
struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum CommandSupport {
    static func loadSchema(_ nameOrPath: String) throws -> Schema {
        do {
            return try Schema.load(named: nameOrPath, in: SchemaDirectory.locate())
        } catch {
            throw CommandError("schema refused: \(error.description)")
        }
    }

    static func jsonString<T: Encodable>(_ value: T, pretty: Bool = false) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
            : [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
