// The Entities module: see issue 4.
