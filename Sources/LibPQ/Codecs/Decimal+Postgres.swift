#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// `Decimal` binds as `numeric`, exactly: no conversion goes through `Double` or text.
///
/// The binary `numeric` format is a header (digit count, weight, sign, display scale) and base-10000
/// digits; the value is the sum of `digit[i] * 10000^(weight - i)`. `Decimal.nan` is `numeric` `NaN`.
/// The display scale sent is the `Decimal`'s own scale (`-exponent`, at least 0). `Decimal` drops
/// trailing fractional zeros (`Decimal(string: "1.50")` is 1.5), so `numeric` 1.50 decodes as 1.5 and is
/// sent back with scale 1; a column declared `numeric(p, s)` restores its scale on the server.
///
/// `Decimal` holds a 128-bit significand (38 to 39 digits) and an exponent in -128...127, so a `numeric`
/// needing more, and `numeric` `Infinity`/`-Infinity` (PostgreSQL 14+), throw
/// ``PostgresCodingError/outOfRange(_:)`` rather than being rounded. Foundation exposes the significand only
/// as a `Decimal`, so it crosses to and from `UInt128` through its decimal digits: exact, if not the
/// fastest path.
extension Decimal: PostgresArrayElement {
    /// `numeric`.
    public static var postgresType: PostgresDataType { .numeric }
    /// `numeric[]`.
    public static var postgresArrayType: PostgresDataType { .numericArray }

    static let numericPositive: UInt16 = 0x0000
    static let numericNegative: UInt16 = 0x4000
    static let numericNaN: UInt16 = 0xC000
    static let numericInfinity: UInt16 = 0xD000
    static let numericNegativeInfinity: UInt16 = 0xF000

    /// Writes the `numeric` binary format.
    public func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError) {
        if isNaN {
            Self.writeNumericHeader(digits: 0, weight: 0, sign: Self.numericNaN, scale: 0, into: &buffer)
            return
        }
        var significand = try Self.significand(of: self)
        let exponent = self.exponent
        let scale = UInt16(max(0, -exponent))
        guard significand != 0 else {
            Self.writeNumericHeader(digits: 0, weight: 0, sign: Self.numericPositive, scale: scale, into: &buffer)
            return
        }
        // The value is significand * 10^exponent. Base-10000 digits need the last digit's power of ten to be a
        // multiple of 4: the lowest group takes only `4 - pad` decimal digits, scaled up by 10^pad.
        let pad = ((exponent % 4) + 4) % 4
        let lowWidth = UInt128(Self.powerOfTen(4 - pad))
        var groups: [Int16] = []  // least significant first
        groups.append(Int16(significand % lowWidth) * Int16(Self.powerOfTen(pad)))
        significand /= lowWidth
        while significand > 0 {
            groups.append(Int16(significand % 10_000))
            significand /= 10_000
        }
        var lowestPower = (exponent - pad) / 4  // power of 10000 of groups[0]
        let firstNonZero = groups.firstIndex { $0 != 0 } ?? 0
        lowestPower += firstNonZero
        let digits = groups[firstNonZero...]
        let weight = lowestPower + digits.count - 1
        Self.writeNumericHeader(
            digits: Int16(digits.count), weight: Int16(weight),
            sign: sign == .minus ? Self.numericNegative : Self.numericPositive, scale: scale, into: &buffer)
        for digit in digits.reversed() { buffer.writeInteger(digit) }
    }

    /// Decodes `numeric`.
    public init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError) {
        guard type == .numeric else { throw .typeMismatch }
        let count = try buffer.readInteger(as: Int16.self)
        let weight = try buffer.readInteger(as: Int16.self)
        let sign = try buffer.readInteger(as: UInt16.self)
        let scale = try buffer.readInteger(as: UInt16.self)
        guard count >= 0 else { throw .malformed("negative numeric digit count") }
        guard scale & 0xC000 == 0 else { throw .malformed("invalid numeric display scale") }
        var digits: [UInt16] = []
        digits.reserveCapacity(Int(count))
        for _ in 0..<count {
            let digit = try buffer.readInteger(as: UInt16.self)
            guard digit < 10_000 else { throw .malformed("numeric digit out of range") }
            digits.append(digit)
        }
        switch sign {
        case Self.numericNaN:
            self = .nan
            return
        case Self.numericInfinity:
            throw .outOfRange("numeric Infinity cannot be represented as Decimal")
        case Self.numericNegativeInfinity:
            throw .outOfRange("numeric -Infinity cannot be represented as Decimal")
        case Self.numericPositive, Self.numericNegative:
            break
        default:
            throw .malformed("invalid numeric sign")
        }
        // Drop zero groups at both ends (the server never sends them, but they are valid).
        var leading = 0
        while leading < digits.count && digits[leading] == 0 { leading += 1 }
        var trailing = digits.count
        while trailing > leading && digits[trailing - 1] == 0 { trailing -= 1 }
        guard leading < trailing else {
            self = .zero
            return
        }
        // Accumulate base-10000 digits; the last one without its trailing decimal zeros, so a value that
        // fills all 128 bits (such as Decimal.greatestFiniteMagnitude) does not overflow on padding zeros.
        var last = digits[trailing - 1]
        var lastWidth = 4
        while last % 10 == 0 {
            last /= 10
            lastWidth -= 1
        }
        var significand: UInt128 = 0
        for (index, digit) in digits[leading..<trailing].enumerated() {
            let isLast = index == trailing - leading - 1
            let (shifted, overflow) = significand.multipliedReportingOverflow(
                by: isLast ? UInt128(Self.powerOfTen(lastWidth)) : 10_000)
            let (sum, carry) = shifted.addingReportingOverflow(UInt128(isLast ? last : digit))
            guard !overflow, !carry else {
                throw .outOfRange("the numeric value has more significant digits than Decimal holds")
            }
            significand = sum
        }
        var exponent = 4 * (Int(weight) - trailing + 1) + (4 - lastWidth)
        // Decimal's exponent range: trade exponent for significand digits while they fit.
        while exponent > 127 {
            let (shifted, overflow) = significand.multipliedReportingOverflow(by: 10)
            if overflow { break }
            significand = shifted
            exponent -= 1
        }
        guard (-128...127).contains(exponent) else {
            throw .outOfRange("the numeric value's magnitude is beyond Decimal's range")
        }
        guard let decimalSignificand = Decimal(string: String(significand)) else {
            throw .outOfRange("the numeric value cannot be represented as Decimal")
        }
        self = Decimal(sign: sign == Self.numericNegative ? .minus : .plus, exponent: exponent, significand: decimalSignificand)
    }

    static func writeNumericHeader(
        digits: Int16, weight: Int16, sign: UInt16, scale: UInt16, into buffer: inout PostgresWriteBuffer
    ) {
        buffer.writeInteger(digits)
        buffer.writeInteger(weight)
        buffer.writeInteger(sign)
        buffer.writeInteger(scale)
    }

    static func powerOfTen(_ n: Int) -> Int {
        var p = 1
        for _ in 0..<n { p *= 10 }
        return p
    }

    /// The 128-bit significand of a finite `Decimal`.
    static func significand(of value: Decimal) throws(PostgresCodingError) -> UInt128 {
        // `significand` has exponent 0, so its description is its plain digits.
        guard let result = UInt128(value.significand.description) else {
            throw .invalidValue("Decimal significand has an unexpected form")
        }
        return result
    }
}
