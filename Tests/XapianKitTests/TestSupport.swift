import Foundation
import Testing
@testable import XapianKit

/// A fresh directory under the system temporary directory, removed when the test ends.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "xapiankit-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func database(_ name: String = "db") -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Value slots the fixtures use.
enum Slot {
    static let plan: UInt32 = 0
    static let year: UInt32 = 1
}

/// A section as our indexer will write it: one posting per character of `text` (so phrases are
/// substrings), a unique id term, a plan filter term, the plan and year values, the id as data.
func section(id: String, plan: String, year: Double, text: String) -> Document {
    var doc = Document()
    var position: UInt32 = 1
    for character in text where !character.isWhitespace {
        doc.addPosting(String(character).lowercased(), at: position)
        position += 1
    }
    doc.addBooleanTerm("Q" + id)
    doc.addBooleanTerm("P" + plan)
    doc.setValue(plan, slot: Slot.plan)
    doc.setValue(number: year, slot: Slot.year)
    doc.setData(id)
    return doc
}

/// Character-by-character phrase, matching `section`'s postings.
func phrase(_ text: String) -> Query {
    .phrase(text.map { .term(String($0)) })
}

let fixtures: [(id: String, plan: String, year: Double, text: String)] = [
    ("s1", "itc", 2021, "国际贸易中心协助妇女进入市场"),
    ("s2", "itc", 2009, "国际贸易中心的预算"),
    ("s3", "un", 2021, "可持续发展目标和妇女"),
    ("s4", "un", 2020, "发展中国家的贸易"),
    ("s5", "unido", 2020, "工业发展与可持续发展"),
]

/// Writes the fixtures into a new database at `path` and closes the writer.
func writeFixtures(at path: String) throws {
    let writer = try WritableDatabase(path: path, mode: .create, durable: false)
    for f in fixtures {
        try writer.replace(uniqueTerm: "Q" + f.id, with: section(id: f.id, plan: f.plan, year: f.year, text: f.text))
    }
    try writer.commit()
    try writer.close()
}

func ids(_ results: SearchResults) -> [String] { results.hits.map(\.dataString) }

/// The code of the XapianError that `body` throws, nil if it throws none (or another error).
/// Matches with `catch XapianError.Code...`, the way callers of XapianKit do.
func code(of body: () throws -> Void) -> XapianError.Code? {
    do {
        try body()
    } catch XapianError.Code.databaseLocked {
        return .databaseLocked
    } catch let error as XapianError {
        return error.code
    } catch {
        return nil
    }
    return nil
}
