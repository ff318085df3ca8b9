"""E-licences (电子证照): the signing key, the PDF document and its offline check."""
