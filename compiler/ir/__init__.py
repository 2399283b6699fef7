"""The intermediate representation (`model`), its JSON Schema, and the checks a workflow
passes whichever front end built it."""
