"""Small read-only queries behind console pages that are not served from a snapshot."""
