import Foundation
import Testing

/// The editor clients, run in the real editors against a real daemon.
@Suite("Editor clients", .serialized)
struct EditorClientTests {
    static func which(_ program: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(dir)/\(program)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Runs `program` with a time limit; returns its status and output.
    static func run(_ program: String, _ arguments: [String], environment: [String: String], seconds: Double = 60) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if p.isRunning { p.terminate(); p.waitUntilExit(); return (-1, "timed out") }
        return (p.terminationStatus, String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    /// A copy of itc.txt's paragraph 13.6 under another number: the hit for 电子商务 lists it.
    static let copy = ["copy.txt": " 10.50 电子商务和青年企业家。 \n"]

    /// What the editor must show for `query`: the best hit's file and line, and where its copy
    /// is (asked of the daemon: the two copies weigh the same, so either may be the hit).
    func environment(_ d: DaemonHarness, query: String) throws -> [String: String] {
        let response = try RawClient(d.socket).request(
            #"{"id":1,"method":"search","params":{"query":"\#(query.replacingOccurrences(of: "\"", with: "\\\""))","limit":1}}"#)
        let hit = try #require(response.hits.first)
        let copies = (hit["copies"] as? [[String: Any]]) ?? []
        return ["PLANSEARCH_SOCKET": d.socket, "PLANSEARCH_QUERY": query,
                "PLANSEARCH_EXPECT_FILE": try #require(hit["file"] as? String),
                "PLANSEARCH_EXPECT_LINE": "\(try #require(hit["line"] as? Int))",
                "PLANSEARCH_EXPECT_COPY": copies.map { "\($0["file"] as? String ?? ""):\($0["line"] as? Int ?? 0)" }.first ?? ""]
    }

    /// The line of itc.txt each query finds (as the hit or as its copy); the hit for 电子商务
    /// has a copy, the one for the phrase has none.
    static let queries: [(query: String, line: Int, copies: Bool)] = [("电子商务", 11, true), ("\"必不可少\"", 7, false)]

    /// Checks what the daemon answered before an editor shows it.
    func check(_ environment: [String: String], _ d: DaemonHarness, line: Int, copies: Bool) {
        #expect(environment["PLANSEARCH_EXPECT_COPY"]?.isEmpty == !copies)
        let shown = ["\(environment["PLANSEARCH_EXPECT_FILE"] ?? ""):\(environment["PLANSEARCH_EXPECT_LINE"] ?? "")",
                     environment["PLANSEARCH_EXPECT_COPY"] ?? ""]
        #expect(shown.contains("\(d.plans)/itc.txt:\(line)"), "\(shown)")
    }

    @Test("Neovim: :PlanSearch fills the quickfix list and :cc jumps to the line", .enabled(if: which("nvim") != nil))
    func neovim() throws {
        let d = try DaemonHarness(extraPlans: Self.copy)
        defer { d.stopAndCollectLog() }
        let nvim = try #require(Self.which("nvim"))
        let script = Binary.root + "/Scripts/editors/test-plansearch.lua"
        for (query, line, copies) in Self.queries {
            let environment = try environment(d, query: query)
            check(environment, d, line: line, copies: copies)
            let (status, output) = try Self.run(nvim, ["--headless", "-u", "NONE", "-c", "luafile \(script)"], environment: environment)
            #expect(status == 0, "\(query): \(output)")
        }
    }

    @Test("Emacs: M-x plansearch fills a grep-mode buffer and next-error jumps to the line", .enabled(if: which("emacs") != nil))
    func emacs() throws {
        let d = try DaemonHarness(extraPlans: Self.copy)
        defer { d.stopAndCollectLog() }
        let emacs = try #require(Self.which("emacs"))
        let editors = Binary.root + "/Scripts/editors"
        for (query, line, copies) in Self.queries {
            let environment = try environment(d, query: query)
            check(environment, d, line: line, copies: copies)
            let (status, output) = try Self.run(emacs, ["--batch", "-Q", "-l", editors + "/plansearch.el", "-l", editors + "/test-plansearch.el"],
                                                environment: environment)
            #expect(status == 0, "\(query): \(output)")
        }
    }
}
