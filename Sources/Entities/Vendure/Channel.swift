public import Foundation

/// Vendure's `Channel` (`packages/core/src/entity/channel/channel.entity.ts`), reduced to the columns
/// sessions use: `code` and `token`, both unique.
@Entity
@VendureEntity
public struct Channel {
    /// The channel's name, for example `__default_channel__`; unique.
    @Column(unique: true) public var code: String
    /// The token clients send in the `vendure-token` header; unique.
    @Column(unique: true) public var token: String
}

extension Channel {
    /// Creates a channel that is not yet stored.
    public init(code: String, token: String) {
        self.code = code
        self.token = token
    }
}
