// An open-addressing hash table from byte strings to Int32 values, for interning ROUGE tokens without a String
// per token (the fast path's raw-token and stem vocabularies). Keys of up to 16 bytes sit in the slot itself, so
// a lookup touches one slot (one cache line) and no key storage.

/// A byte string as the table compares it: up to 16 bytes packed little-endian into two words (zero-padded),
/// or, for a longer one, its hash and where its bytes start in the table's arena.
struct PackedKey: Equatable {
    var low: UInt64
    var high: UInt64
    var length: Int

    /// The empty key (a free slot's).
    init() {
        low = 0
        high = 0
        length = 0
    }

    /// `bytes`, read with word loads when at least 16 bytes follow `start` in `buffer` (the bytes past the key
    /// are masked off).
    @inline(__always) init(_ buffer: UnsafeBufferPointer<UInt8>, start: Int, length: Int) {
        self.length = length
        guard length <= 16, let base = buffer.baseAddress else {
            low = ByteStringTable.hash(UnsafeBufferPointer(rebasing: buffer[start..<(start + length)]))
            high = 0
            return
        }
        if buffer.count - start >= 16 {
            let raw = UnsafeRawPointer(base + start)
            let a = raw.loadUnaligned(as: UInt64.self), b = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            low = length >= 8 ? a : a & ((1 << UInt64(8 * length)) - 1)
            high = length >= 16 ? b : length <= 8 ? 0 : b & ((1 << UInt64(8 * (length - 8))) - 1)
        } else {
            low = 0
            high = 0
            for j in 0..<length {
                let c = UInt64(base[start + j])
                if j < 8 { low |= c << UInt64(8 * j) } else { high |= c << UInt64(8 * (j - 8)) }
            }
        }
    }

    /// A well-mixed 64-bit hash of the key (for a long key, `low` already is its byte hash).
    @inline(__always) var hash: UInt64 {
        let m = (low ^ 0xA076_1D64_78BD_642F).multipliedFullWidth(by: high ^ 0xE703_7ED1_A0B4_28DB ^ UInt64(length))
        return (m.high ^ m.low) &* 0x9E37_79B9_7F4A_7C15
    }
}

/// Interns byte strings: each distinct string gets an entry (0, 1, 2, … in insertion order) holding a value.
struct ByteStringTable {
    struct Slot {
        var key: PackedKey  // length 0: free
        var value: Int32
        var longStart: Int32  // where a key longer than 16 bytes starts in the arena

        static let free = Slot(key: PackedKey(), value: 0, longStart: 0)
    }

    private var slots: [Slot]          // (capacity,) at most half full
    private var entries: [Int32] = []  // (entries,) each entry's slot, to read keys back (moved when the table grows)
    private var arena: [UInt8] = []    // (bytes of long keys,) keys longer than 16 bytes, back to back
    private var shift: UInt64

    init(capacity: Int = 1 << 12) {
        let size = max(16, 1 << (Int.bitWidth - (2 * capacity - 1).leadingZeroBitCount))
        slots = [Slot](repeating: Slot.free, count: size)
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    /// Distinct keys interned so far.
    var count: Int { entries.count }

    /// FNV-1a over `bytes` (the identity of keys longer than 16 bytes, with their length and bytes).
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for c in bytes { h = (h ^ UInt64(c)) &* 0x100_0000_01B3 }
        return h
    }

    /// The slot holding `key`, or the free slot where it would go; `found` tells which.
    @inline(__always) private func probe(_ key: PackedKey, _ bytes: UnsafeBufferPointer<UInt8>) -> (slot: Int, found: Bool) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: key.hash >> shift)
        while true {
            let s = slots[slot]
            if s.key.length == 0 { return (slot, false) }
            if s.key == key && (key.length <= 16 || equalLong(Int(s.longStart), bytes)) { return (slot, true) }
            slot = (slot + 1) & mask
        }
    }

    private func equalLong(_ start: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for (j, c) in bytes.enumerated() where arena[start + j] != c { return false }
        return true
    }

    /// The value of `key` (whose bytes are `bytes`), or nil.
    @inline(__always) func value(_ key: PackedKey, _ bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        let (slot, found) = probe(key, bytes)
        return found ? slots[slot].value : nil
    }

    /// Adds `key` (not yet present) with `value`.
    mutating func insert(_ key: PackedKey, _ bytes: UnsafeBufferPointer<UInt8>, value: Int32) {
        precondition(key.length > 0, "the table holds non-empty keys")
        if 2 * (entries.count + 1) > slots.count { grow() }
        let (slot, _) = probe(key, bytes)
        var longStart: Int32 = 0
        if key.length > 16 {
            longStart = Int32(arena.count)
            arena.append(contentsOf: bytes)
        }
        slots[slot] = Slot(key: key, value: value, longStart: longStart)
        entries.append(Int32(slot))
    }

    /// The entry number of `bytes`, added with value = its entry number if new (interning strings to 0, 1, 2, …).
    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        let key = PackedKey(bytes, start: 0, length: bytes.count)
        if let value = value(key, bytes) { return value }
        let e = Int32(entries.count)
        insert(key, bytes, value: e)
        return e
    }

    /// The key of entry `e` as text (tables whose values are entry numbers, as `intern` makes them).
    func key(_ e: Int32) -> String {
        let s = slots[Int(entries[Int(e)])]
        if s.key.length > 16 { return String(decoding: arena[Int(s.longStart)..<(Int(s.longStart) + s.key.length)], as: UTF8.self) }
        let bytes = (0..<s.key.length).map { j in UInt8(truncatingIfNeeded: (j < 8 ? s.key.low >> (8 * j) : s.key.high >> (8 * (j - 8)))) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot.free, count: 2 * old.count)
        shift -= 1
        let mask = slots.count - 1
        for (e, oldSlot) in entries.enumerated() {
            let s = old[Int(oldSlot)]
            var slot = Int(truncatingIfNeeded: s.key.hash >> shift)
            while slots[slot].key.length != 0 { slot = (slot + 1) & mask }
            slots[slot] = s
            entries[e] = Int32(slot)
        }
    }
}
