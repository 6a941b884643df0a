"""Cursor-on-Target adapter: TAK clients (ATAK, WinTAK, iTAK) over TCP and TLS (issue 8)."""
