import Foundation
import Testing

@Suite("Scripts/reindex.sh", .serialized)
struct ReindexScriptTests {
    func script(_ arguments: [String], environment: [String: String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [Binary.root + "/Scripts/reindex.sh"] + arguments
        var env = ProcessInfo.processInfo.environment
        env["PLANSEARCH_BIN"] = Binary.plansearch
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    @Test("asks the running daemon, and fails when a file fails")
    func throughDaemon() throws {
        let d = try DaemonHarness()
        defer { d.stopAndCollectLog() }
        // The daemon is found on its socket through XDG_RUNTIME_DIR.
        let runtime = d.dir.path + "/runtime"
        try FileManager.default.createDirectory(atPath: runtime + "/plansearch", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: runtime + "/plansearch/plansearch.sock", withDestinationPath: d.socket)
        try Data(" 5.1 新文件。 \n".utf8).write(to: URL(fileURLWithPath: d.plans + "/new.txt"))
        let (status, output) = try script([], environment: ["XDG_RUNTIME_DIR": runtime])
        #expect(status == 0, "\(output)")
        #expect(output.contains("\"added\":1"))
        // A file whose folder was deleted since: named as it was, so the daemon drops it.
        try FileManager.default.createDirectory(atPath: d.plans + "/old", withIntermediateDirectories: true)
        try Data(" 6.1 旧文件。 \n".utf8).write(to: URL(fileURLWithPath: d.plans + "/old/gone.txt"))
        let (added, addedOutput) = try script([d.plans + "/old/gone.txt"], environment: ["XDG_RUNTIME_DIR": runtime])
        #expect(added == 0 && addedOutput.contains("\"added\":1"), "\(addedOutput)")
        try FileManager.default.removeItem(atPath: d.plans + "/old")
        let (removed, removedOutput) = try script([d.plans + "/old/gone.txt"], environment: ["XDG_RUNTIME_DIR": runtime])
        #expect(removed == 0 && removedOutput.contains("\"removed\":1"), "\(removedOutput)")
        // PLANSEARCH_SOCKET names the daemon when the default would not find it.
        let (named, namedOutput) = try script([], environment: ["XDG_RUNTIME_DIR": d.dir.path + "/none", "PLANSEARCH_SOCKET": d.socket])
        #expect(named == 0 && namedOutput.contains("\"unchanged\""), "\(namedOutput)")
        try Data([0x00, 0x01]).write(to: URL(fileURLWithPath: d.plans + "/broken.txt"))
        let (failed, _) = try script([], environment: ["XDG_RUNTIME_DIR": runtime])
        #expect(failed != 0)
    }

    @Test("indexes directly when no daemon runs")
    func direct() throws {
        let dir = try TempDir()
        let plans = dir.path + "/plans"
        try FileManager.default.createDirectory(atPath: plans, withIntermediateDirectories: true)
        try Data(" 1.1 妇女。 \n".utf8).write(to: URL(fileURLWithPath: plans + "/a.txt"))
        let (status, output) = try script([plans], environment: ["XDG_RUNTIME_DIR": dir.path + "/none", "PLANSEARCH_DB": dir.path + "/db"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("\"added\":1"))
        let (missing, _) = try script([], environment: ["XDG_RUNTIME_DIR": dir.path + "/none", "PLANSEARCH_DB": dir.path + "/db"])
        #expect(missing == 2)
    }
}
