// Sandbox.swift: runs one untrusted Python program in the CSandbox process sandbox and reports what happened.
//
// Isolation (Linux, as root): own process group and pid namespace (everything left is killed at the end),
// fresh network namespace (no interface up: no network, not even 127.0.0.1), every mount remounted
// read-only except a private size-limited tmpfs work dir, rlimits (CPU, address space, file size, processes,
// open files, no core), a seccomp filter against new namespaces and mounts, and the program runs as a
// sandbox-only uid with no_new_privs. The folders where a host keeps secrets and sockets are covered by empty
// tmpfs mounts (every home, the caller's home and working folder, Mimic's cache, /tmp, /dev/shm, /run), sockets
// other than IPv4/IPv6 are refused (a UNIX socket file reaches a daemon whatever
// the namespaces), and all the program's processes share one memory cgroup of `memoryBytes` (as root).
//
// Uids: each concurrent run takes a slot s in 0..<`Sandbox.uidSlots` and runs as uid = gid =
// `Sandbox.uidBase` + s (61000...61063, no passwd entry; slots whose uid has one are skipped). A slot is held
// in-process and across processes with flock on /run/mimic-sandbox/slot-s.lock, so RLIMIT_NPROC counts one
// run's processes only, and the final "kill every process of this uid" cannot hit another run.
// Without root the program keeps the caller's uid; a user namespace then still gives the other isolation
// when the kernel allows it, and `SandboxResult.isolation` says what was achieved.
import CSandbox
import MimicCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Resource limits for one sandboxed run.
public struct SandboxLimits: Codable, Sendable, Equatable {
    /// Wall-clock limit in seconds; past it the whole sandbox is SIGKILLed and the status is `.timedOut`.
    public var wallSeconds: Double
    /// CPU-time limit (RLIMIT_CPU) in seconds.
    public var cpuSeconds: Int
    /// Address-space limit (RLIMIT_AS) of each process, and (as root, with a memory cgroup) the memory of all the
    /// program's processes together, in bytes.
    public var memoryBytes: Int
    /// Largest file the program may write (RLIMIT_FSIZE) in bytes.
    public var fileBytes: Int
    /// Size of the private tmpfs the program runs in (Linux with a mount namespace) in bytes.
    public var scratchBytes: Int
    /// Processes of the sandbox uid (RLIMIT_NPROC).
    public var processes: Int
    /// Open file descriptors (RLIMIT_NOFILE).
    public var openFiles: Int
    /// Bytes of stdout and of stderr kept each; the rest is read and discarded.
    public var outputBytes: Int

    /// Creates limits; the defaults suit HumanEval-style programs.
    public init(wallSeconds: Double = 10, cpuSeconds: Int = 10, memoryBytes: Int = 1 << 30,
                fileBytes: Int = 16 << 20, scratchBytes: Int = 64 << 20, processes: Int = 64,
                openFiles: Int = 64, outputBytes: Int = 64 << 10) {
        self.wallSeconds = wallSeconds
        self.cpuSeconds = cpuSeconds
        self.memoryBytes = memoryBytes
        self.fileBytes = fileBytes
        self.scratchBytes = scratchBytes
        self.processes = processes
        self.openFiles = openFiles
        self.outputBytes = outputBytes
    }

    /// Decodes limits, taking the default for every missing key (so task files name only what they change).
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = SandboxLimits()
        wallSeconds = try container.decodeIfPresent(Double.self, forKey: .wallSeconds) ?? defaults.wallSeconds
        cpuSeconds = try container.decodeIfPresent(Int.self, forKey: .cpuSeconds) ?? defaults.cpuSeconds
        memoryBytes = try container.decodeIfPresent(Int.self, forKey: .memoryBytes) ?? defaults.memoryBytes
        fileBytes = try container.decodeIfPresent(Int.self, forKey: .fileBytes) ?? defaults.fileBytes
        scratchBytes = try container.decodeIfPresent(Int.self, forKey: .scratchBytes) ?? defaults.scratchBytes
        processes = try container.decodeIfPresent(Int.self, forKey: .processes) ?? defaults.processes
        openFiles = try container.decodeIfPresent(Int.self, forKey: .openFiles) ?? defaults.openFiles
        outputBytes = try container.decodeIfPresent(Int.self, forKey: .outputBytes) ?? defaults.outputBytes
    }
}

/// How a sandboxed program ended.
public enum SandboxStatus: Codable, Sendable, Equatable, CustomStringConvertible {
    /// Exited with status 0.
    case passed
    /// Exited with a non-zero status (an uncaught exception, a failed assertion, a syntax error: 1).
    case failed(exitCode: Int32)
    /// Ran past the wall-clock limit or the CPU limit (SIGXCPU) and was killed.
    case timedOut
    /// Was killed by a signal other than the CPU limit's.
    case killed(signal: Int32)
    /// The sandbox lost track of the program (its supervising process died without reporting).
    case error(String)

    /// "passed", "failed (exit 1)", "timed out", "killed (signal 9)", "error: ...".
    public var description: String {
        switch self {
        case .passed: return "passed"
        case .failed(let code): return "failed (exit \(code))"
        case .timedOut: return "timed out"
        case .killed(let signal): return "killed (signal \(signal))"
        case .error(let message): return "error: \(message)"
        }
    }
}

/// Which isolation the kernel granted for a run.
public struct SandboxIsolation: Codable, Sendable, Equatable {
    /// A fresh network namespace with no interface up: no network at all, loopback included.
    public var network: Bool
    /// Every mount but the work dir was remounted read-only.
    public var filesystem: Bool
    /// A fresh pid namespace: the program saw only its own processes, and all of them died at the end.
    public var processes: Bool
    /// The work dir was a private, size-limited tmpfs.
    public var privateScratch: Bool
    /// The uid the program ran as when root dropped privileges, nil when it kept the caller's uid.
    public var uid: UInt32?
    /// An unprivileged caller obtained the namespaces through a user namespace.
    public var userNamespace: Bool
    /// A seccomp filter refused unshare, setns, mount and namespace-creating clone, so the program could not
    /// undo the above (e.g. a new user namespace with its own writable mounts), sockets of any family but IPv4 and
    /// IPv6 (no UNIX socket file, no netlink), io_uring, bpf, perf events and keyrings.
    public var syscallFilter: Bool
    /// The folders a program must not see (`Sandbox.coveredFolders`) were covered by empty tmpfs mounts.
    public var foldersHidden: Bool
    /// The program and every process it made shared one memory cgroup of `SandboxLimits.memoryBytes`.
    public var memoryGroup: Bool
}

/// The outcome of one sandboxed run.
public struct SandboxResult: Codable, Sendable, Equatable {
    /// How the program ended.
    public var status: SandboxStatus
    /// The first `SandboxLimits.outputBytes` bytes of stdout (invalid UTF-8 repaired).
    public var stdout: String
    /// The first `SandboxLimits.outputBytes` bytes of stderr (invalid UTF-8 repaired).
    public var stderr: String
    /// Bytes the program wrote to stdout in all; more than kept when truncated.
    public var stdoutBytes: Int
    /// Bytes the program wrote to stderr in all.
    public var stderrBytes: Int
    /// Wall time of the run in seconds, setup and clean-up included.
    public var wallSeconds: Double
    /// User + system CPU seconds of the program (and the children it waited for); 0 when killed on time-out.
    public var cpuSeconds: Double
    /// What isolation was achieved.
    public var isolation: SandboxIsolation

    /// True when the status is `.passed`.
    public var passed: Bool { status == .passed }
    /// True when the program ran without network access.
    public var networkIsolated: Bool { isolation.network }
}

/// Why the sandbox could not run a program (as opposed to the program failing).
public enum SandboxError: Error, LocalizedError, Equatable {
    /// No executable of this name on PATH (that the sandbox uid may run).
    case interpreterNotFound(name: String, searched: [String])
    /// The work directory could not be created or written.
    case workDirectory(path: String, reason: String)
    /// The slot lock directory is missing, not a directory, or not private to root.
    case slotDirectory(path: String, reason: String)
    /// A setup step inside the sandbox failed before the program started.
    case launch(stage: String, errno: Int32, executable: String)
    /// The parent could not create pipes or fork.
    case parentSetup(errno: Int32)

    /// What went wrong and a hint on how to fix it.
    public var errorDescription: String? {
        switch self {
        case .interpreterNotFound(let name, let searched):
            return "sandbox: no usable '\(name)' on PATH (searched \(searched.joined(separator: ":")))."
                + " Hint: install python3 (apt-get install python3) or pass an absolute interpreter path;"
                + " as root the interpreter and every folder above it must be readable by others"
                + " (a pyenv under /root is not)."
        case .workDirectory(let path, let reason):
            return "sandbox: cannot prepare work directory \(path): \(reason)."
                + " Hint: check that TMPDIR exists, is writable and has free space."
        case .slotDirectory(let path, let reason):
            return "sandbox: slot lock directory \(path) is unusable: \(reason)."
                + " Hint: remove it so the sandbox recreates it (owned by root, mode 0700)."
        case .launch(let stage, let code, let executable):
            let hint = stage == "exec"
                ? " Hint: is \(executable) executable by the sandbox uid (every folder above it world-searchable)?"
                : " Hint: the sandbox needs fork, setrlimit and (as root) setuid; check seccomp or container policy."
            return "sandbox: setup step '\(stage)' failed: \(String(cString: strerror(code))) (errno \(code))." + hint
        case .parentSetup(let code):
            return "sandbox: cannot create pipes or fork: \(String(cString: strerror(code))) (errno \(code))."
                + " Hint: lower the parallelism or raise the process / open-file limits."
        }
    }
}

/// Runs untrusted programs in a process sandbox.
public enum Sandbox {
    /// First uid of the sandbox-only range (slot s runs as `uidBase + s`).
    public static let uidBase: UInt32 = 61000
    /// Number of uid slots, the most runs that can be in flight at once as root.
    public static let uidSlots = 64

    /// Writes `program` to program.py in a fresh temporary directory, runs `interpreter program.py` in the
    /// sandbox under `limits`, removes the directory (also after a time-out) and returns what happened.
    /// `interpreter` is an absolute path or a name looked up on PATH (as root: the first match the sandbox
    /// uid can execute). Throws `SandboxError` when the sandbox itself cannot run; a failing program is a
    /// result, not an error.
    public static func run(program: String, interpreter: String = "python3",
                           limits: SandboxLimits = SandboxLimits()) throws -> SandboxResult {
        try run(program: program, interpreter: interpreter, limits: limits, namespaces: true)
    }

    /// `run(program:interpreter:limits:)`; `namespaces: false` tests the fallback of rlimits and uid only.
    static func run(program: String, interpreter: String, limits: SandboxLimits,
                    namespaces: Bool) throws -> SandboxResult {
        let root = geteuid() == 0
        let executable = try resolveInterpreter(interpreter, forOthers: root)
        let dir = try makeWorkDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let programPath = dir + "/program.py"
        guard FileManager.default.createFile(atPath: programPath, contents: Data(program.utf8),
                                             attributes: [.posixPermissions: 0o644]) else {
            throw SandboxError.workDirectory(path: programPath, reason: "cannot write program.py")
        }
        let slot = root ? try SandboxSlots.shared.acquire() : nil
        defer { if let slot { SandboxSlots.shared.release(slot) } }
        let uid = slot.map { Int64(uidBase) + Int64($0.index) } ?? -1
        let interpreterDir = (executable as NSString).deletingLastPathComponent
        let environment = [
            "PATH=\(interpreterDir):/usr/local/bin:/usr/bin:/bin", "HOME=\(dir)", "TMPDIR=\(dir)",
            "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1", "PYTHONHASHSEED=0",
            "PYTHONIOENCODING=utf-8",
        ]
        return try execute(executable: executable, arguments: [executable, "program.py"], environment: environment,
                           workDirectory: dir, stagedFiles: ["program.py"], uid: uid, limits: limits,
                           namespaces: namespaces)
    }

    /// The folders covered by an empty tmpfs the program cannot write, for a program run by `interpreter`: every
    /// home, the caller's home and working folder, Mimic's cache, /tmp, /var/tmp, /dev/shm, /run (where daemons keep
    /// their socket files) and the usual mount points. A folder that holds the interpreter or the system's own
    /// folders stays visible (so a virtualenv inside the project still runs, and the project is then not hidden).
    public static func coveredFolders(interpreter: String) -> [String] {
        let env = ProcessInfo.processInfo.environment
        var hidden = ["/home", "/root", "/tmp", "/var/tmp", "/dev/shm", "/run", "/var/run", "/mnt", "/media", "/srv",
                      "/var/lib/postgresql", "/var/spool"]
        for folder in [env["HOME"], FileManager.default.currentDirectoryPath, CacheDirectory.path] {
            if let folder, let real = realPath(folder) { hidden.append(real) }
        }
        let needed = ["/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/proc", "/dev", "/sys", "/opt",
                      interpreter, realPath(interpreter) ?? interpreter]
        func holdsNeeded(_ folder: String) -> Bool {
            needed.contains { $0 == folder || $0.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/") } || folder == "/"
        }
        var seen = Set<String>()
        return hidden.filter { !holdsNeeded($0) && seen.insert($0).inserted }
    }

    /// Finds `name` on PATH (or checks a path with a slash) and returns it as an absolute path, symlinks kept
    /// (a virtualenv's python stays one). With `forOthers`, skips candidates that a user other than the owner
    /// (the sandbox uid) cannot execute, e.g. pyenv shims under a private /root.
    public static func resolveInterpreter(_ name: String, forOthers: Bool) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let folders = name.contains("/") ? [""] : path.split(separator: ":").map(String.init)
        let here = FileManager.default.currentDirectoryPath
        for folder in folders {
            var candidate = folder.isEmpty ? name : folder + "/" + name
            if !candidate.hasPrefix("/") { candidate = here + "/" + candidate }
            guard access(candidate, X_OK) == 0, let real = realPath(candidate) else { continue }
            if !forOthers || (executableByOthers(real) && executableByOthers(candidate)) { return candidate }
        }
        throw SandboxError.interpreterNotFound(name: name, searched: folders)
    }

    // MARK: - Internals

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// True when every folder above `path` is searchable and the file executable and readable by others.
    static func executableByOthers(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o005 == 0o005 else { return false }
        var folder = (path as NSString).deletingLastPathComponent
        while true {
            guard stat(folder, &info) == 0, info.st_mode & 0o001 != 0 else { return false }
            if folder == "/" || folder.isEmpty { return true }
            folder = (folder as NSString).deletingLastPathComponent
        }
    }

    static func makeWorkDirectory() throws -> String {
        let base = realPath(NSTemporaryDirectory()) ?? "/tmp"
        var template = Array((base + "/mimic-sandbox-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            let path = base + "/mimic-sandbox-XXXXXX"
            throw SandboxError.workDirectory(path: path, reason: String(cString: strerror(errno)))
        }
        return String(cString: made)
    }

    /// Runs `executable` through csandbox_run and converts the C result.
    static func execute(executable: String, arguments: [String], environment: [String], workDirectory: String,
                        stagedFiles: [String], uid: Int64, limits: SandboxLimits,
                        namespaces: Bool) throws -> SandboxResult {
        let argv = CStringArray(arguments), envp = CStringArray(environment), staged = CStringArray(stagedFiles)
        let hidden = CStringArray(coveredFolders(interpreter: executable))
        var raw = csandbox_result()
        // The C strings must outlive the call, not only their last use in Swift.
        let rc: Int32 = withExtendedLifetime((argv, envp, staged, hidden)) { executable.withCString { path in
            workDirectory.withCString { dir in
                var config = csandbox_config(
                    path: path, argv: argv.pointer, envp: envp.pointer, workdir: dir, stage_files: staged.pointer,
                    wall_seconds: limits.wallSeconds, cpu_seconds: limits.cpuSeconds,
                    memory_bytes: Int64(limits.memoryBytes), file_bytes: Int64(limits.fileBytes),
                    scratch_bytes: Int64(limits.scratchBytes), processes: limits.processes,
                    open_files: limits.openFiles, run_uid: uid, capture_bytes: max(0, limits.outputBytes),
                    no_namespaces: namespaces ? 0 : 1, hide_paths: hidden.pointer,
                    group_memory_bytes: Int64(limits.memoryBytes))
                return csandbox_run(&config, &raw)
            }
        } }
        defer { csandbox_result_free(&raw) }
        if rc != 0 { throw SandboxError.parentSetup(errno: -rc) }
        return try convert(raw, executable: executable, uid: uid, limits: limits)
    }

    static func convert(_ raw: csandbox_result, executable: String, uid: Int64,
                        limits: SandboxLimits) throws -> SandboxResult {
        let status: SandboxStatus
        switch Int(raw.outcome) {
        case Int(CSANDBOX_EXITED): status = raw.exit_code == 0 ? .passed : .failed(exitCode: raw.exit_code)
        case Int(CSANDBOX_SIGNALED):
            let cpuOut = raw.signal == SIGKILL && raw.cpu_seconds >= Double(limits.cpuSeconds)
            status = raw.signal == SIGXCPU || cpuOut ? .timedOut : .killed(signal: raw.signal)
        case Int(CSANDBOX_TIMED_OUT): status = .timedOut
        case Int(CSANDBOX_SETUP_FAILED):
            throw SandboxError.launch(stage: String(cString: csandbox_stage_name(raw.setup_stage)),
                                      errno: raw.setup_errno, executable: executable)
        default: status = .error("the sandbox's supervising process died without reporting the program's status")
        }
        func text(_ bytes: UnsafeMutablePointer<CChar>?, _ count: Int) -> String {
            guard let bytes, count > 0 else { return "" }
            return bytes.withMemoryRebound(to: UInt8.self, capacity: count) {
                String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self)
            }
        }
        let isolation = SandboxIsolation(
            network: raw.net_isolated != 0, filesystem: raw.fs_isolated != 0, processes: raw.pid_isolated != 0,
            privateScratch: raw.scratch_private != 0, uid: raw.uid_dropped != 0 ? UInt32(uid) : nil,
            userNamespace: raw.user_namespace != 0, syscallFilter: raw.syscall_filter != 0,
            foldersHidden: raw.paths_hidden != 0, memoryGroup: raw.memory_grouped != 0)
        return SandboxResult(
            status: status, stdout: text(raw.out, raw.out_len), stderr: text(raw.err, raw.err_len),
            stdoutBytes: raw.out_total, stderrBytes: raw.err_total, wallSeconds: raw.wall_seconds,
            cpuSeconds: raw.cpu_seconds, isolation: isolation)
    }
}

/// A NULL-terminated array of C strings that lives as long as the value.
final class CStringArray {
    let pointer: UnsafeMutablePointer<UnsafePointer<CChar>?>
    private let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointer = .allocate(capacity: count + 1)
        for (index, string) in strings.enumerated() { pointer[index] = UnsafePointer(strdup(string)) }
        pointer[count] = nil
    }

    deinit {
        for index in 0..<count { free(UnsafeMutableRawPointer(mutating: pointer[index])) }
        pointer.deallocate()
    }
}

/// The uid slots of this process, each also held across processes by an flock'ed file.
final class SandboxSlots: @unchecked Sendable {
    struct Slot { let index: Int; let lockFD: Int32 }
    static let shared = SandboxSlots()
    #if os(Linux)
    static let lockDirectory = "/run/mimic-sandbox"
    #else
    static let lockDirectory = "/var/run/mimic-sandbox"
    #endif
    private let condition = NSCondition()
    private var busy = Set<Int>()

    /// Blocks until a slot is free here and in every other process; kills leftovers of its uid.
    func acquire() throws -> Slot {
        try Self.prepareDirectory()
        let slot = claim()
        _ = csandbox_kill_uid(Int64(Sandbox.uidBase) + Int64(slot.index))
        return slot
    }

    private func claim() -> Slot {
        condition.lock()
        defer { condition.unlock() }
        while true {
            for index in 0..<Sandbox.uidSlots where !busy.contains(index) {
                guard getpwuid(Sandbox.uidBase + UInt32(index)) == nil else { continue }  // a real account: never use
                let fd = open("\(Self.lockDirectory)/slot-\(index).lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
                guard fd >= 0 else { continue }
                if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                    close(fd)
                    continue
                }
                busy.insert(index)
                return Slot(index: index, lockFD: fd)
            }
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.05))
        }
    }

    func release(_ slot: Slot) {
        condition.lock()
        flock(slot.lockFD, LOCK_UN)
        close(slot.lockFD)
        busy.remove(slot.index)
        condition.signal()
        condition.unlock()
    }

    static func prepareDirectory() throws {
        let path = lockDirectory
        _ = mkdir(path, 0o700)
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw SandboxError.slotDirectory(path: path, reason: String(cString: strerror(errno)))
        }
        guard info.st_mode & S_IFMT == S_IFDIR, info.st_uid == 0, info.st_mode & 0o077 == 0 else {
            throw SandboxError.slotDirectory(path: path, reason: "not a directory owned by root with mode 0700")
        }
    }
}
