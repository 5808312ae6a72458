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
        .library(name: "MimicMetrics", targets: ["MimicMetrics"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .target(name: "CKernels", path: "Sources/CKernels", cSettings: optimizedC),
        .target(name: "MimicTensor", dependencies: ["CBLAS", "CKernels"]),
        .target(name: "MimicTokenizers"),
        .target(name: "MimicModels", dependencies: ["MimicTensor", "MimicTokenizers"]),
        .target(name: "MimicTrain", dependencies: ["MimicModels", "MimicTokenizers", "MimicTensor", "CKernels"]),
        .target(
            name: "MimicTeacher",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .target(
            name: "CCLD2", path: "Sources/CCLD2",
            linkerSettings: [.linkedLibrary("cld2")]),
        .target(name: "MimicMetrics"),
        .target(name: "MimicData", dependencies: ["MimicTeacher", "MimicTokenizers", "MimicMetrics", "CCLD2"]),
        .target(name: "CSandbox", path: "Sources/CSandbox", linkerSettings: [.linkedLibrary("z")]),
        .target(
            name: "MimicEval",
            dependencies: [
                "CSandbox", "MimicModels", "MimicTokenizers", "MimicTeacher", "MimicData", "MimicMetrics",
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        .target(
            name: "MimicServer",
            dependencies: [
                "MimicTeacher", "MimicModels", "MimicTokenizers", "MimicTensor",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),
        .executableTarget(
            name: "mimic",
            dependencies: [
                "MimicModels", "MimicTokenizers", "MimicTensor", "MimicTrain", "MimicTeacher", "MimicData",
                "MimicMetrics", "MimicServer", "MimicEval",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(
            name: "MimicTensorTests", dependencies: ["MimicTensor", "CKernels"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "MimicTokenizersTests", dependencies: ["MimicTokenizers"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "MimicModelsTests", dependencies: ["MimicModels", "MimicTokenizers", "MimicTensor"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "MimicTrainTests", dependencies: ["MimicTrain", "MimicModels", "MimicTokenizers", "MimicTensor"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "MimicTeacherTests",
            dependencies: [
                "MimicTeacher",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]),
        .testTarget(
            name: "MimicDataTests", dependencies: ["MimicData", "MimicMetrics", "MimicTeacher", "MimicTokenizers"],
            resources: [.copy("Resources")]),
        // MimicTeacher only for SplitMix64, the seeded generator of RougeBatchTests' texts.
        .testTarget(
            name: "MimicMetricsTests", dependencies: ["MimicMetrics", "MimicTeacher"],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "MimicServerTests",
            dependencies: [
                "MimicServer", "MimicTeacher", "MimicModels", "MimicTokenizers", "MimicTensor",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        .testTarget(
            name: "MimicEvalTests",
            dependencies: [
                "MimicEval", "MimicMetrics", "MimicServer", "MimicModels", "MimicTeacher", "MimicData", "MimicTokenizers",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            resources: [.copy("Resources")]),
        .testTarget(
            name: "MimicCLITests",
            dependencies: ["mimic", "MimicModels", "MimicTeacher", .product(name: "Hummingbird", package: "hummingbird")]),
    ],
    swiftLanguageModes: [.v5]
)
