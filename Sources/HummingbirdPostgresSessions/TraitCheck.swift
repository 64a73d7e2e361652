#if !Hummingbird
#error("""
    HummingbirdPostgresSessions needs the package trait "Hummingbird" (on by default): depend on the package \
    without `traits: []`, or with `traits: ["Hummingbird"]`
    """)
#endif
