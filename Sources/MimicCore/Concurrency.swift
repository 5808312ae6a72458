// Bounded parallel work: many async jobs, a few at a time, their results handled one by one on the calling task.

/// Runs `count` jobs with at most `maxInFlight` at once; `onResult` sees each result on the calling task, in
/// completion order, with its job index. A throwing job cancels the rest and the error is rethrown.
public func runBounded<R: Sendable>(count: Int, maxInFlight: Int, _ job: @escaping @Sendable (Int) async throws -> R,
                             onResult: (Int, R) throws -> Void) async throws {
    try await withThrowingTaskGroup(of: (Int, R).self) { group in
        var next = 0
        while next < min(count, maxInFlight) {
            let index = next
            group.addTask { (index, try await job(index)) }
            next += 1
        }
        while let (index, result) = try await group.next() {
            try onResult(index, result)
            if next < count && !Task.isCancelled {
                let index = next
                group.addTask { (index, try await job(index)) }
                next += 1
            }
        }
    }
    try Task.checkCancellation()
}
