"""The configuration management database: CI classes, attributes, CIs, relations, assets and the maps."""
