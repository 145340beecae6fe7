import Foundation
import PlanIndex
import Testing

/// The built `plansearch` binary (SwiftPM builds it beside the test bundle) and helpers to run it.
enum Binary {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let corpus = SharedCorpus.locate(projectRoot: root)
    static var hasCorpus: Bool { FileManager.default.fileExists(atPath: corpus + "/itc-programme-plan-2021.txt") }

    static let plansearch: String = {
        let beside = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
        for dir in [beside, beside.deletingLastPathComponent(), URL(fileURLWithPath: root + "/.build/debug")] {
            let candidate = dir.appendingPathComponent("plansearch").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return root + "/.build/debug/plansearch"
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs plansearch to completion.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = try start(arguments, environment: environment)
        let out = process.stdout.fileHandleForReading.readDataToEndOfFile()
        let err = process.stderr.fileHandleForReading.readDataToEndOfFile()
        process.process.waitUntilExit()
        return Result(status: process.process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                      stderr: String(decoding: err, as: UTF8.self))
    }

    struct Running {
        var process: Process
        var stdout: Pipe
        var stderr: Pipe
    }

    /// Starts plansearch, in `directory` when given (else this process's working directory).
    static func start(_ arguments: [String], environment: [String: String] = [:], directory: String? = nil) throws -> Running {
        let process = Process()
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.executableURL = URL(fileURLWithPath: plansearch)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["PLANSEARCH_SCHEMAS"] = root + "/IndexSchemas"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return Running(process: process, stdout: out, stderr: err)
    }
}

final class TempDir {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "plansearch-e2e-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

