public import Entities
public import Foundation

/// Vendure's `Channel` (`packages/core/src/entity/channel/channel.entity.ts`), reduced to the columns
/// sessions use: `code` and `token`, both unique.
@Entity
public struct Channel: Hashable {
    /// When the row was created.
    @CreateDateColumn public var createdAt: Date?
    /// When the row was last updated.
    @UpdateDateColumn public var updatedAt: Date?
    /// The channel's name, for example `__default_channel__`; unique.
    @Column(unique: true) public var code: String
    /// The token clients send in the `vendure-token` header; unique.
    @Column(unique: true) public var token: String
    /// The primary key.
    @PrimaryGeneratedColumn(registration: .vendureID) public var id: Int?
}

extension Channel: VendureEntity {
    /// Creates a channel that is not yet stored.
    public init(code: String, token: String) {
        self.code = code
        self.token = token
    }
}
