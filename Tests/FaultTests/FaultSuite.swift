import Testing

/// The fault suite (issue 13): every scenario freezes, kills, restarts or loads the one cluster
/// `scripts/faults` starts, so they run one at a time (`.serialized`, and `scripts/faults` passes
/// `--no-parallel`). Each scenario is a nested suite in a file of its own. A test that hangs is stopped
/// after 2 minutes, so the suite always ends.
@Suite(
    .serialized, .enabled(if: FaultEnvironment.isConfigured, FaultEnvironment.skipMessage),
    .timeLimit(.minutes(2)))
struct FaultSuite {}
