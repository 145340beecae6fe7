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

    func environment(_ d: DaemonHarness, query: String, line: Int) -> [String: String] {
        ["PLANSEARCH_SOCKET": d.socket, "PLANSEARCH_QUERY": query,
         "PLANSEARCH_EXPECT_FILE": d.plans + "/itc.txt", "PLANSEARCH_EXPECT_LINE": "\(line)"]
    }

    @Test("Neovim: :PlanSearch fills the quickfix list and :cc jumps to the line", .enabled(if: which("nvim") != nil))
    func neovim() throws {
        let d = try DaemonHarness()
        defer { d.stopAndCollectLog() }
        let nvim = try #require(Self.which("nvim"))
        let script = Binary.root + "/Scripts/editors/test-plansearch.lua"
        for (query, line) in [("电子商务", 11), ("\"必不可少\"", 7)] {
            let (status, output) = try Self.run(nvim, ["--headless", "-u", "NONE", "-c", "luafile \(script)"],
                                                environment: environment(d, query: query, line: line))
            #expect(status == 0, "\(query): \(output)")
        }
    }

    @Test("Emacs: M-x plansearch fills a grep-mode buffer and next-error jumps to the line", .enabled(if: which("emacs") != nil))
    func emacs() throws {
        let d = try DaemonHarness()
        defer { d.stopAndCollectLog() }
        let emacs = try #require(Self.which("emacs"))
        let editors = Binary.root + "/Scripts/editors"
        for (query, line) in [("电子商务", 11), ("\"必不可少\"", 7)] {
            let (status, output) = try Self.run(emacs, ["--batch", "-Q", "-l", editors + "/plansearch.el", "-l", editors + "/test-plansearch.el"],
                                                environment: environment(d, query: query, line: line))
            #expect(status == 0, "\(query): \(output)")
        }
    }
}
