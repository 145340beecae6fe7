import Foundation
import Testing
@testable import PlanIndex

/// The repository root and the shared corpus beside it (never copied into the repository).
enum Paths {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let schemas = root + "/IndexSchemas"
    static let corpus = SharedCorpus.locate(projectRoot: root)
    static let corpusFiles = [
        "itc-programme-budget-2008-2009.txt", "itc-programme-plan-2021.txt",
        "un-programme-plan-2021.txt", "unido-annual-report-2020.txt",
    ]
    static var hasCorpus: Bool { FileManager.default.fileExists(atPath: corpus + "/itc-programme-plan-2021.txt") }
}

func loadSchema(_ name: String) throws -> Schema {
    try Schema.load(path: Paths.schemas + "/\(name).json")
}

final class Scratch {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "plansearch-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func write(_ name: String, _ text: String) throws {
        let full = path + "/" + name
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: full))
    }
    func writeBytes(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path + "/" + name))
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

