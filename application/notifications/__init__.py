"""Notifications to applicants (通知): what each case event tells them, and its delivery on every channel."""
