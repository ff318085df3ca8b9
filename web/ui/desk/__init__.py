"""The intake desk (一窗受理)."""
