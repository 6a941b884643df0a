"""SecretBox: TOTP seeds sealed with keys in a 0600 file outside the database."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from concord.services.secrets import SecretBox, SecretKeyMissing


def test_processes_starting_together_share_one_key(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "secrets.keys"
    boxes = [SecretBox(key_file) for _ in range(8)]
    sealed: list[str] = [""] * len(boxes)

    def seal(i: int) -> None:
        sealed[i] = boxes[i].seal(f"SEED{i}")

    threads = [threading.Thread(target=seal, args=(i,)) for i in range(len(boxes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(key_file.read_bytes().splitlines()) == 1
    assert key_file.stat().st_mode & 0o777 == 0o600 and key_file.parent.stat().st_mode & 0o777 == 0o700
    for i, value in enumerate(sealed):
        assert SecretBox(key_file).open(value) == f"SEED{i}"


def test_a_box_without_the_key_says_so(tmp_path: Path) -> None:
    sealed = SecretBox(tmp_path / "a.keys").seal("SEED")
    with pytest.raises(SecretKeyMissing):
        SecretBox(tmp_path / "b.keys").open(sealed)
