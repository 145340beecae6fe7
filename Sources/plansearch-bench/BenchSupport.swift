import Foundation
import PlanIndex

/// Shared by the benchmarks: where the corpus and schemas are, and reading the corpus once.
enum BenchSupport {
    static let root: String = {
        // The package root: two levels above .build/<config>/plansearch-bench, else the cwd.
        var url = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        for _ in 0..<5 {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        return FileManager.default.currentDirectoryPath
    }()

    static var defaultCorpus: String { SharedCorpus.locate(projectRoot: root) }

    static func schema(_ name: String = "un-plan") throws -> Schema {
        try Schema.load(path: root + "/IndexSchemas/\(name).json")
    }

    /// Every file of the corpus split into documents with the schema.
    static func sectionedCorpus(_ corpus: String, schema: Schema, copies: Int = 1) throws -> [SectionedDocument] {
        let files = try FileManager.default.contentsOfDirectory(atPath: corpus).filter { $0.hasSuffix(".txt") }.sorted()
        var documents: [SectionedDocument] = []
        for copy in 0..<copies {
            for name in files {
                let path = corpus + "/" + name
                let source = try SourceReader().read(path)
                let id = copies == 1 ? name : "copy\(copy)/\(name)"
                documents.append(Sectioner(schema: schema).split(text: source.text, documentID: id, file: path,
                                                                 contentHash: source.contentHash))
            }
        }
        return documents
    }

    static func textBytes(_ documents: [SectionedDocument]) -> Int {
        documents.reduce(0) { $0 + $1.sections.filter(\.isIndexed).reduce(0) { $0 + $1.text.utf8.count } }
    }

    static func temporaryDirectory(_ tag: String) -> String {
        NSTemporaryDirectory() + "plansearch-bench-\(tag)-\(UUID().uuidString)"
    }

    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
