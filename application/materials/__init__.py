"""Materials as files: the file store the use cases ask for, the vault of each applicant."""
