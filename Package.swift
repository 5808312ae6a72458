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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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
        .executableTarget(
            name: "mimic",
            dependencies: [
                "MimicModels", "MimicTokenizers", "MimicTensor", "MimicTrain",
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
        .testTarget(name: "MimicCLITests", dependencies: ["mimic", "MimicModels"]),
    ],
    swiftLanguageModes: [.v5]
)
