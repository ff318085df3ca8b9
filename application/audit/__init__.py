"""The auditor's side: verify the record, checkpoints, exports, every event in words."""
