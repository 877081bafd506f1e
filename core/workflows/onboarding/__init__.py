"""The onboarding wizard: steps and drafts, the CSV/ZIP import, verification, activation,
messages and samples."""
