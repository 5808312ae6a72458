// swift-tools-version:6.0
// Mimic: a Swift toolkit for studying model imitation (collect, curate, train, evaluate).
import PackageDescription

let optimizedC: [CSetting] = [.unsafeFlags(["-O3", "-fno-math-errno"])]

let package = Package(
    name: "Mimic",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "mimic", targets: ["mimic"]),
        .library(name: "MimicModels", targets: ["MimicModels"]),
        .library(name: "MimicTokenizers", targets: ["MimicTokenizers"]),
        .library(name: "MimicTensor", targets: ["MimicTensor"]),
        .library(name: "MimicTrain", targets: ["MimicTrain"]),
        .library(name: "MimicTeacher", targets: ["MimicTeacher"]),
        .library(name: "MimicData", targets: ["MimicData"]),
        .library(name: "MimicServer", targets: ["MimicServer"]),
        .library(name: "MimicEval", targets: ["MimicEval"]),
        .library(name: "MimicCore", targets: ["MimicCore"]),
        .library(name: "MimicStages", targets: ["MimicStages"]),
        .library(name: "MimicMetrics", targets: ["MimicMetrics"]),
        .library(name: "MimicRate", targets: ["MimicRate"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .target(name: "CKernels", path: "Sources/CKernels", cSettings: optimizedC),
        .target(name: "MimicCore"),
        .target(name: "MimicTensor", dependencies: ["MimicCore", "CBLAS", "CKernels"]),
        .target(name: "MimicTokenizers", dependencies: ["MimicCore"]),
        .target(name: "MimicModels", dependencies: ["MimicCore", "MimicTensor", "MimicTokenizers"]),
        .target(name: "MimicTrain", dependencies: ["MimicCore", "MimicModels", "MimicTokenizers", "MimicTensor", "CKernels"]),
        .target(
            name: "MimicTeacher",
            dependencies: [
                "MimicCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .target(
            name: "CCLD2", path: "Sources/CCLD2",
            linkerSettings: [.linkedLibrary("cld2")]),
        .target(name: "MimicMetrics", dependencies: ["MimicCore"]),
        .target(name: "MimicData", dependencies: ["MimicCore", "MimicMetrics", "MimicTeacher", "MimicTokenizers", "CCLD2"]),
        .target(name: "CSandbox", path: "Sources/CSandbox", linkerSettings: [.linkedLibrary("z")]),
        .target(
            name: "MimicEval",
            dependencies: [
                "CSandbox", "MimicCore", "MimicMetrics", "MimicModels", "MimicTokenizers", "MimicTensor", "MimicTeacher", "MimicData",
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        .target(
            name: "MimicServer",
            dependencies: [
                "MimicCore", "MimicTeacher", "MimicModels", "MimicTokenizers", "MimicTensor",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),
        .target(
            name: "MimicStages",
            dependencies: [
                "MimicCore", "MimicMetrics", "MimicTeacher", "MimicModels", "MimicTokenizers", "MimicTensor", "MimicTrain", "MimicData",
                "MimicEval", "MimicServer",
                .product(name: "Yams", package: "Yams"),
            ]),
        .target(
            name: "MimicStudy",
            dependencies: [
                "MimicCore", "MimicMetrics", "MimicModels", "MimicTeacher", "MimicTrain", "MimicEval", "MimicStages", "MimicRate",
                .product(name: "Yams", package: "Yams"),
            ]),
        .target(
            name: "MimicRate",
            dependencies: [
                "MimicCore", "MimicMetrics", "MimicData",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        .executableTarget(
            name: "mimic",
            dependencies: [
                "MimicCore", "MimicStages", "MimicModels", "MimicTokenizers", "MimicTensor", "MimicTrain", "MimicTeacher", "MimicData",
                "MimicMetrics", "MimicServer", "MimicEval", "MimicStudy", "MimicRate",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .target(
            name: "MimicTestSupport", dependencies: ["MimicCore", "MimicTokenizers", .product(name: "Hummingbird", package: "hummingbird")],
            path: "Tests/MimicTestSupport"),
        .testTarget(
            name: "MimicTensorTests", dependencies: ["MimicCore", "MimicTensor", "CKernels", "MimicTestSupport"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "MimicTokenizersTests", dependencies: ["MimicCore", "MimicTokenizers", "MimicTestSupport"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "MimicModelsTests", dependencies: ["MimicCore", "MimicModels", "MimicTokenizers", "MimicTensor", "MimicTestSupport"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "MimicTrainTests",
            dependencies: ["MimicCore", "MimicTrain", "MimicModels", "MimicTokenizers", "MimicTensor", "MimicTestSupport"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "MimicTeacherTests",
            dependencies: [
                "MimicCore", "MimicTeacher", "MimicTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),
        .testTarget(
            name: "MimicDataTests", dependencies: ["MimicCore", "MimicData", "MimicMetrics", "MimicTeacher", "MimicTokenizers", "MimicTestSupport"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "MimicServerTests",
            dependencies: [
                "MimicCore", "MimicServer", "MimicTeacher", "MimicModels", "MimicTokenizers", "MimicTensor", "MimicTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            exclude: ["Clients"]),
        .testTarget(
            name: "MimicEvalTests",
            dependencies: [
                "MimicCore", "MimicEval", "MimicMetrics", "MimicServer", "MimicModels", "MimicTeacher", "MimicData", "MimicTokenizers",
                "MimicTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "MimicCLITests",
            dependencies: [
                "mimic", "MimicCore", "MimicModels", "MimicTeacher", "MimicTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),
        .testTarget(name: "MimicCoreTests", dependencies: ["MimicCore", "MimicTestSupport"]),
        .testTarget(
            name: "MimicMetricsTests", dependencies: ["MimicCore", "MimicMetrics", "MimicTestSupport"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "MimicStagesTests",
            dependencies: ["MimicStages", "MimicCore", "MimicEval", "MimicData", "MimicMetrics", "MimicTeacher", "MimicTestSupport"]),
        .testTarget(
            name: "MimicStudyTests",
            dependencies: ["MimicStudy", "MimicStages", "MimicRate", "MimicCore", "MimicTestSupport", .product(name: "Hummingbird", package: "hummingbird")],
            exclude: ["check_report.py"]),
        .testTarget(
            name: "MimicRateTests",
            dependencies: [
                "MimicRate", "MimicCore", "MimicMetrics", "MimicTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            exclude: ["rate_browser.py", "rate_hostile.py"],
            resources: [.copy("Resources")]),
    ],
    swiftLanguageModes: [.v5]
)
