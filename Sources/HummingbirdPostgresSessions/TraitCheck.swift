// Every source of this module is inside `#if Hummingbird`: without the package trait the module is empty
// (and Hummingbird is not even fetched), so a build of the whole package without it still succeeds.
#if !Hummingbird
#warning("""
    HummingbirdPostgresSessions is empty without the package trait "Hummingbird" (off by default): depend on \
    the package with `traits: ["Hummingbird"]`, or build with `--traits Hummingbird`
    """)
#endif
