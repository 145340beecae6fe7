import ArgumentParser
import XapianKit

enum PlanSearchVersion {
    static let string = "0.1.0"
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version", abstract: "Print PlanSearch's and libxapian's versions.")

    func run() {
        print("plansearch \(PlanSearchVersion.string) (libxapian \(XapianBaseline.xapianVersion))")
    }
}
