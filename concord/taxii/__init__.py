"""TAXII 2.1 adapter (OASIS TAXII Version 2.1, 10 June 2021): server endpoints at /taxii2/."""
