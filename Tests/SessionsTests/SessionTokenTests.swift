import Foundation
import Sessions
import Testing

struct SessionTokenTests {
    @Test func tokensAre64LowercaseHexCharacters() {
        let token = SessionToken.generate()
        #expect(token.utf8.count == 64)
        #expect(token.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(SessionToken.isWellFormed(token))
    }

    @Test func tokensAreUniqueOver100000Creations() {
        var seen = Set<String>()
        seen.reserveCapacity(100_000)
        for _ in 0..<100_000 { seen.insert(SessionToken.generate()) }
        #expect(seen.count == 100_000)
    }

    @Test func tokensUseEveryHexDigitEvenly() {
        // 2,000 tokens = 128,000 digits; each of the 16 should appear about 8,000 times.
        var counts = [Character: Int]()
        for _ in 0..<2_000 { for c in SessionToken.generate() { counts[c, default: 0] += 1 } }
        #expect(counts.count == 16)
        #expect(counts.values.allSatisfy { (7_000...9_000).contains($0) })
    }

    @Test(arguments: [
        "",  // empty
        String(repeating: "a", count: 63),  // too short
        String(repeating: "a", count: 65),  // too long
        String(repeating: "A", count: 64),  // upper case
        String(repeating: "g", count: 64),  // not hex
        String(repeating: "a", count: 63) + "\0",  // NUL
        String(repeating: "a", count: 62) + "é",  // non-ASCII, 64 UTF-8 bytes
        String(repeating: "a", count: 60) + "' OR",  // SQL
        String(repeating: "f", count: 2048),  // over 1 KiB
        String(repeating: "a", count: 32) + " " + String(repeating: "a", count: 31),
    ])
    func malformedTokensAreRejected(_ token: String) {
        #expect(!SessionToken.isWellFormed(token))
    }

    @Test func hashIsSHA256Hex() {
        #expect(SessionToken.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func redactedShowsOnlyAPrefix() {
        let token = SessionToken.generate()
        let redacted = SessionToken.redacted(token)
        #expect(redacted.hasPrefix(String(token.prefix(8))))
        #expect(!redacted.contains(token))
        let session = CachedSession(id: 1, token: token, expires: Date(), kind: .anonymous)
        #expect(!"\(session)".contains(token))
        #expect(!String(reflecting: session).contains(token))
    }
}
