"""What several adapters share: Ed25519 key files (keys.py) and PDF rendering (pdf.py)."""
