// swift-tools-version: 6.0
// PlanSearch: full-text search for Chinese-language planning documents.
// Layering (see README.md): CXapianSystem -> CXapian (C++ shim, pure C header) -> XapianKit (Swift);
// PlanAnalyzer knows nothing of Xapian; executables stay thin.
import PackageDescription

let package = Package(
    name: "PlanSearch",
    products: [
        .executable(name: "plansearch", targets: ["plansearch"]),
        .executable(name: "plansearch-bench", targets: ["plansearch-bench"]),
        .library(name: "XapianKit", targets: ["XapianKit"]),
        .library(name: "PlanAnalyzer", targets: ["PlanAnalyzer"]),
        .library(name: "PlanIndex", targets: ["PlanIndex"]),
        .library(name: "PlanProtocol", targets: ["PlanProtocol"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // Link-only: Xapian's headers are C++, so Swift never imports them.
        .systemLibrary(
            name: "CXapianSystem",
            pkgConfig: "xapian-core",
            providers: [.apt(["libxapian-dev"])]
        ),
        // The only C++ in the package: a pure C header over libxapian that never lets an exception out.
        .target(
            name: "CXapian",
            dependencies: ["CXapianSystem"],
            cxxSettings: [.define("_GLIBCXX_ASSERTIONS", .when(configuration: .debug))]
        ),
        // Swift types over the shim; the only importer of CXapian.
        .target(name: "XapianKit", dependencies: ["CXapian"]),
        // OpenCC's C API, for traditional-to-simplified folding in the analyzer.
        .systemLibrary(
            name: "COpenCC",
            pkgConfig: "opencc",
            providers: [.apt(["libopencc-dev"])]
        ),
        .target(name: "PlanAnalyzer", dependencies: ["COpenCC"]),
        // Schemas, sectioning, indexing and searching: the engine, usable without a socket.
        .target(name: "PlanIndex", dependencies: ["XapianKit", "PlanAnalyzer", "PlanProtocol"]),
        // The daemon's wire format: Codable requests, responses and error codes; no I/O.
        .target(name: "PlanProtocol"),
        // The Unix-socket server: connections, request routing, readers and the writer, signals.
        .target(
            name: "PlanDaemon",
            dependencies: [
                "PlanIndex", "PlanProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "plansearch",
            dependencies: [
                "XapianKit", "PlanAnalyzer", "PlanIndex", "PlanProtocol", "PlanDaemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // How the relevance suite scores ranked hits against its judged needles.
        .target(name: "RelevanceScoring"),
        .executableTarget(
            name: "plansearch-bench",
            dependencies: [
                "XapianKit", "PlanAnalyzer", "PlanIndex", "PlanProtocol", "PlanDaemon", "RelevanceScoring",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "XapianKitTests", dependencies: ["XapianKit"]),
        .testTarget(name: "PlanAnalyzerTests", dependencies: ["PlanAnalyzer"]),
        .testTarget(name: "PlanIndexTests", dependencies: ["PlanIndex"]),
        // The daemon's parts without a socket (the reader pool).
        .testTarget(name: "PlanDaemonTests", dependencies: ["PlanDaemon", "PlanIndex", "PlanProtocol"]),
        // Runs the real binaries (indexer, daemon) as a user or an editor would.
        .testTarget(name: "EndToEndTests", dependencies: ["PlanIndex", "XapianKit"]),
        .testTarget(name: "RelevanceScoringTests", dependencies: ["RelevanceScoring"]),
    ],
    cxxLanguageStandard: .cxx17
)
