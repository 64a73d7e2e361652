public import Entities
public import Foundation

/// Vendure's `User` (`packages/core/src/entity/user/user.entity.ts`): every column it declares.
@Entity
public struct User: Hashable {
    /// When the row was created.
    @CreateDateColumn public var createdAt: Date?
    /// When the row was last updated.
    @UpdateDateColumn public var updatedAt: Date?
    /// When the user was soft-deleted.
    @Column(type: "timestamp", nullable: true) public var deletedAt: Date?
    /// The login identifier (an email address for native authentication).
    @Column public var identifier: String
    /// Whether the identifier was verified.
    @Column(default: false) public var verified: Bool = false
    /// The last successful login.
    @Column(type: "timestamp", nullable: true) public var lastLogin: Date?
    /// The primary key.
    @PrimaryGeneratedColumn(registration: .vendureID) public var id: Int?
}

extension User: VendureEntity {
    /// Creates a user that is not yet stored.
    public init(identifier: String, verified: Bool = false) {
        self.identifier = identifier
        self.verified = verified
    }
}
