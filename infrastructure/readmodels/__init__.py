"""Read models: tables, the exactly-once projection runner, buffered writes, SQL of the read side."""
