import Foundation
import Testing

@testable import LibPQ

/// Encodes `value` the way a bind does, without a server.
func encoded<T: PostgresEncodable>(_ value: T) throws -> [UInt8] {
    var buffer = PostgresWriteBuffer()
    try value.encode(into: &buffer)
    return buffer.bytes
}

/// Decodes `bytes` the way the row layer does: a non-NULL column of server type `type`, all bytes consumed.
func decoded<T: PostgresDecodable>(_: T.Type, from bytes: [UInt8], type: PostgresDataType) throws -> T {
    try bytes.withUnsafeBytes { raw in
        var buffer = PostgresReadBuffer(raw)
        let value = try T(from: &buffer, type: type)
        try buffer.expectEnd()
        return value
    }
}

/// Encodes then decodes, as if the server echoed the value back with the given type.
func roundTrip<T: PostgresCodable>(_ value: T, as type: PostgresDataType = T.postgresType) throws -> T {
    try decoded(T.self, from: encoded(value), type: type)
}

/// Bytes from hex text; spaces are ignored: `hex("00 00 00 01")`.
func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.filter { !$0.isWhitespace })
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

/// The kind of a ``PostgresCodingError``, to assert on without its message.
enum CodingErrorKind: Equatable {
    case typeMismatch, unexpectedNull, malformed, outOfRange, invalidValue
}

/// The coding error `body` throws (nil when it throws nothing or something else).
func codingError(_ body: () throws -> Void) -> PostgresCodingError? {
    do {
        try body()
        return nil
    } catch let error as PostgresCodingError {
        return error
    } catch {
        return nil
    }
}

/// The kind of coding error `body` throws (nil when it throws nothing or something else).
func codingErrorKind(_ body: () throws -> Void) -> CodingErrorKind? {
    switch codingError(body) {
    case nil: nil
    case .typeMismatch: .typeMismatch
    case .unexpectedNull: .unexpectedNull
    case .malformed: .malformed
    case .outOfRange: .outOfRange
    case .invalidValue: .invalidValue
    }
}

/// Deterministic pseudo-random bytes (SplitMix64), so large-value tests are reproducible.
func pseudoRandomBytes(count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed
    var out: [UInt8] = []
    out.reserveCapacity(count)
    while out.count < count {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        withUnsafeBytes(of: z) { out.append(contentsOf: $0.prefix(count - out.count)) }
    }
    return out
}
