// Placeholder: SwiftPM needs this directory for the EntitiesTests target declared in Package.swift.
// Delete it once real Entities tests land.
