"""The outside world: files, the project store, SFTP, secrets, workbooks, the simulator."""
