import Testing
import TestSupport

/// The Hummingbird integration's HTTP tests compile only with the package trait `Hummingbird` (off by
/// default for the package's users; the repository's scripts enable it). In CI a build without it would
/// leave them out without a word: this makes that a failure.
@Suite struct BuildConfigurationTests {
    static var builtWithHummingbirdTrait: Bool {
        #if Hummingbird
        true
        #else
        false
        #endif
    }

    @Test(.enabled(if: TestDatabase.isCI)) func ciBuildsWithTheHummingbirdTrait() {
        #expect(Self.builtWithHummingbirdTrait, "built without --traits Hummingbird: the integration's HTTP tests were left out")
    }
}
