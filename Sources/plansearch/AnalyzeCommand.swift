import ArgumentParser
import Foundation
import PlanAnalyzer
import PlanIndex

/// `plansearch analyze TEXT`: the tokens the analyzer makes of a text or a query, for people
/// writing schemas and lexicons.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze", abstract: "Show the terms, positions and offsets the analyzer produces.")

    @Flag(help: "Analyze as a query: show the query words and which are required.")
    var query = false

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: "Schema name or path (its lexicons and folding apply).")
    var schema = "un-plan"

    @Argument(help: "The text.")
    var text: [String]

    func run() throws {
        let loaded = try CommandSupport.loadSchema(schema)
        let analyzer: Analyzer
        do {
            analyzer = try AnalyzerChoice.planAnalyzer(for: loaded)
        } catch {
            throw CommandError("\(error)")
        }
        let input = text.joined(separator: " ")
        if query {
            let units = analyzer.queryUnits(input)
            if json { print(try CommandSupport.jsonString(units)); return }
            for u in units {
                print("\(u.required ? "required" : "optional")\t\(u.term)\t[\(u.start),\(u.end))\t\(u.kind.rawValue)\tphrase: \(u.spelling.joined(separator: " "))")
            }
            return
        }
        let tokens = analyzer.tokens(input)
        if json { print(try CommandSupport.jsonString(tokens)); return }
        let scalars = Array(input.unicodeScalars)
        for t in tokens {
            let source = String(String.UnicodeScalarView(scalars[t.start..<t.end]))
            print("\(t.term)\t\(t.position == 0 ? "-" : String(t.position))\t[\(t.start),\(t.end))\t\(t.kind.rawValue)\t\(source)")
        }
    }
}
