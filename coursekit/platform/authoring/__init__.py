"""For course authors: building releases, the definition-of-done lint, the datasets build."""
