// MappedFile: a read-only memory map of a whole file, so weights are paged in rather than copied.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file mapped read-only into memory for as long as this object lives.
public final class MappedFile: @unchecked Sendable {
    /// Path of the mapped file.
    public let path: String
    /// Start of the mapping.
    public let base: UnsafeRawPointer
    /// Length of the file and of the mapping, in bytes.
    public let size: Int

    /// Maps a regular, non-empty file; throws ModelError (fileNotFound, unreadable, truncated) otherwise.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            if errno == ENOENT { throw ModelError.fileNotFound(path) }
            throw ModelError.unreadable(path, String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ModelError.unreadable(path, String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw ModelError.unreadable(path, "not a regular file") }
        size = Int(st.st_size)
        guard size > 0 else { throw ModelError.truncated(file: path, offset: 0, what: "the header (the file is empty)") }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw ModelError.unreadable(path, String(cString: strerror(errno)))
        }
        base = UnsafeRawPointer(p)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }
}
