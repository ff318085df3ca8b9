"""The audit record: the dense log and signed checkpoints, verify, bundles, the PDF report."""
