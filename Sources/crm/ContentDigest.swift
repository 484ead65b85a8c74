/// A 128-bit digest of bytes (two FNV-1a 64-bit lanes with different offsets), for deriving
/// idempotency keys from a file and its options. Not cryptographic: the service binds each key
/// to the SHA-256 of the request it came with, so a collision is refused there, never merged.
struct ContentDigest {
    private var a: UInt64 = 0xcbf2_9ce4_8422_2325
    private var b: UInt64 = 0x6c62_272e_07bb_0142

    mutating func add(_ bytes: [UInt8]) {
        for byte in bytes {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            b = (b << 7) | (b >> 57)
        }
    }

    var hex: String {
        [a, b].map { word in
            let text = String(word, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }.joined()
    }
}
