"""The reviewer's department queue."""
