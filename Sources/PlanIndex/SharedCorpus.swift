import Foundation

/// Where the shared plan corpus is, for tests and benchmarks (it is never copied into the
/// repository): $PLANSEARCH_CORPUS, else ../shared/corpus beside the checkout, else the
/// workspace's copy. Those that need it are skipped when it is nowhere.
public enum SharedCorpus {
    public static func locate(projectRoot: String) -> String {
        let candidates = [ProcessInfo.processInfo.environment["PLANSEARCH_CORPUS"] ?? "",
                          URL(fileURLWithPath: projectRoot + "/../shared/corpus").standardizedFileURL.path,
                          "/work/shared/corpus"]
        return candidates.first { !$0.isEmpty && FileManager.default.fileExists(atPath: $0 + "/itc-programme-plan-2021.txt") }
            ?? candidates[1]
    }
}
