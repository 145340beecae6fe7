import ArgumentParser
import Foundation
import PlanDaemon
import PlanProtocol

/// Options every client command shares.
struct ClientOptions: ParsableArguments {
    @Option(help: "The daemon's socket (default: $PLANSEARCH_SOCKET, else $XDG_RUNTIME_DIR/plansearch/plansearch.sock, else ~/.cache/plansearch/plansearch.sock).")
    var socket: String?

    func connect() throws -> DaemonClient {
        do {
            return try DaemonClient(socketPath: socket ?? SocketLocation.defaultPath())
        } catch {
            throw CommandError("\(error)")
        }
    }
}

/// `plansearch search`: ask the daemon, print hits for people, JSON, or vimgrep lines.
struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "search", abstract: "Search through the running daemon.")

    @OptionGroup var client: ClientOptions

    @Flag(help: "Print the daemon's JSON result.")
    var json = false

    @Flag(help: "Print file:line:column:text lines, one hit each, for an editor's grep integration.")
    var vimgrep = false

    // Unconditional: `--limit -1` is a wrong number, which the daemon names, not a missing
    // value (the parser took -1 for an option).
    @Option(parsing: .unconditional, help: "Most hits to show.")
    var limit = 10

    @Option(parsing: .unconditional, help: "At most this many hits per document.")
    var perDoc: Int?

    // Unrecognised arguments are the query's, so that an exclusion may come first
    // (`plansearch search -大会 妇女`). What looks like a mistyped option is refused rather than
    // searched for (validate()); after `--` every word is the query's.
    @Argument(parsing: .allUnrecognized,
              help: "The query: words (all required), \"exact phrases\", -excluded, a OR b, doc:ID, heading:TEXT. Put -- before a query whose first word starts with - and Latin letters (-- -ITC 妇女).")
    var query: [String]

    /// The query's words, without the `--` that ends the options.
    var words: [String] {
        guard let end = query.firstIndex(of: "--") else { return query }
        return Array(query[..<end]) + query[(end + 1)...]
    }

    func validate() throws {
        let beforeSeparator = query.prefix { $0 != "--" }
        // A word that starts with - and goes on in ASCII letters, digits and dashes reads as an
        // option (-n, -limit, --limt): refused, since searching for it would hide the typo.
        // -大会 excludes a word; -ITC after -- does too.
        if let option = beforeSeparator.first(where: { word in
            word.hasPrefix("-") && word.count > 1
                && word.unicodeScalars.dropFirst().allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
                && word.unicodeScalars.dropFirst().contains { $0.properties.isAlphabetic || $0 == "-" }
        }) {
            throw ValidationError("unknown option '\(option)' (to exclude a Latin word, put -- before the query: plansearch search -- \(option) …)")
        }
        if words.allSatisfy({ $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
            throw ValidationError("missing the query")
        }
    }

    func run() throws {
        let connection = try client.connect()
        var params: [String: Any] = ["query": words.joined(separator: " "), "limit": limit]
        if let perDoc { params["per_doc"] = perDoc }
        let object: [String: Any]
        do {
            object = try connection.call(method: "search", params: params)
        } catch {
            throw CommandError("\(error)")
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: object["result"] ?? [:], options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let data = try JSONSerialization.data(withJSONObject: object["result"] ?? [:])
        let result = try JSONDecoder().decode(SearchResult.self, from: data)
        for hit in result.hits {
            let snippet = hit.snippet.replacingOccurrences(of: "\n", with: " ")
            if vimgrep {
                // One hit, one line: a newline in a file name would split it into two lines,
                // the second read as a hit of its own.
                let file = hit.file.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
                print("\(file):\(hit.line):1:\(snippet)")
            } else {
                let heading = hit.heading.last.map { " \($0)" } ?? ""
                let para = hit.para.map { " ¶\($0)" } ?? ""
                // A hit filling a short page lacks one typed item: say which.
                let lacks = hit.missing.map { " [lacks \($0.joined(separator: ", "))]" } ?? ""
                print("\(hit.file):\(hit.line):\(heading)\(para)\(lacks) — \(snippet)")
                // Copies folded into the hit: where else the same text stands.
                for copy in hit.copies ?? [] { print("    also \(copy.file):\(copy.line)") }
            }
        }
        if !vimgrep {
            // `total` counts complete matches only; hits filling the page after them are counted apart.
            let partial = result.hits.filter { $0.missing != nil }.count
            var footer = "\(result.hits.count - partial) of about \(result.total)"
            if partial > 0 { footer += ", then \(partial) lacking a word" }
            footer += " (\(String(format: "%.1f", result.tookMs)) ms)"
            if result.partial == true {
                // A cluster with shards down: the hits come from the others only.
                footer += "; some shards did not answer: \((result.missingShards ?? []).joined(separator: ", "))"
            }
            // Words dropped to relax the query, or a single word that matched nothing (exact,
            // with no hits): either way the user should see what was not found.
            if !result.missing.isEmpty {
                footer += result.missing.count == 1 ? "; not found: \(result.missing[0])"
                    : "; not found together: \(result.missing.joined(separator: ", "))"
            }
            for word in result.missing {
                if let near = result.suggestions[word], !near.isEmpty {
                    footer += "; for \(word), did you mean \(near.joined(separator: ", "))?"
                }
            }
            print(footer)
        }
    }
}

/// `plansearch get ID`, `stats`, `documents`, `reindex`: one request each, JSON out.
struct GetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Print one section by id (JSON).")
    @OptionGroup var client: ClientOptions
    @Argument(help: "The section id.") var id: String
    func run() throws { try ClientCall.print(client, "get", ["id": id]) }
}

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Print the daemon's statistics (JSON).")
    @OptionGroup var client: ClientOptions
    func run() throws { try ClientCall.print(client, "stats", [:]) }
}

struct DocumentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "documents", abstract: "List indexed documents (JSON).")
    @OptionGroup var client: ClientOptions
    func run() throws { try ClientCall.print(client, "documents", [:]) }
}

struct ReindexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reindex", abstract: "Ask the daemon to reindex (JSON summary).")
    @OptionGroup var client: ClientOptions
    @Argument(help: "Paths under the daemon's roots (default: all roots).") var paths: [String] = []
    func run() throws {
        let absolute = paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        let object = try ClientCall.print(client, "reindex", absolute.isEmpty ? [:] : ["paths": absolute])
        if let failed = (object["result"] as? [String: Any])?["failed"] as? Int, failed > 0 { throw ExitCode(1) }
    }
}

enum ClientCall {
    @discardableResult
    static func print(_ client: ClientOptions, _ method: String, _ params: [String: Any]) throws -> [String: Any] {
        let connection = try client.connect()
        do {
            let object = try connection.call(method: method, params: params)
            let data = try JSONSerialization.data(withJSONObject: object["result"] ?? [:], options: [.sortedKeys, .withoutEscapingSlashes])
            Swift.print(String(decoding: data, as: UTF8.self))
            return object
        } catch {
            throw CommandError("\(error)")
        }
    }
}
