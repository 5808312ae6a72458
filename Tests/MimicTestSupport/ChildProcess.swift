// Runs a program the test needs (a Python client, a browser driver) to the end and returns what it printed.
import Foundation

/// What a finished child process left: its exit status and its two output streams.
public struct ChildOutput: Sendable {
    public var status: Int32
    public var stdout: Data
    public var stderr: String
}

public enum ChildProcess {
    /// Runs `executable` with `arguments` (and `environment` added to this process's), reading both outputs while it
    /// runs so that neither pipe fills.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           directory: String? = nil) throws -> ChildOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        nonisolated(unsafe) var stderr = Data()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { stderr = err.fileHandleForReading.readDataToEndOfFile() }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ChildOutput(status: process.terminationStatus, stdout: stdout, stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// `run` on a thread of its own, so that a server in this process keeps Swift's cooperative threads to answer it.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           directory: String? = nil) async throws -> ChildOutput {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try run(executable, arguments, environment: environment, directory: directory) as ChildOutput })
            }
        }
    }
}
