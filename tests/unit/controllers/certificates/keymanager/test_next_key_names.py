"""The next key's Secret name: `<certificate>-` and five characters of Kubernetes' generateName
alphabet, drawn at once from one uniform random number."""

from __future__ import annotations

import re

from certpilot.controllers.certificates.keymanager.next_key import name_suffix, next_key_secret_name
from certpilot.testing.builders import certificate

ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def test_each_number_below_27_to_the_5_names_its_own_suffix() -> None:
    assert name_suffix(0) == "bbbbb"
    assert name_suffix(1) == "cbbbb"
    assert name_suffix(27) == "bcbbb"
    assert name_suffix(27**5 - 1) == "99999"
    sample = range(0, 27**5, 997)
    assert len({name_suffix(n) for n in sample}) == len(sample)


def test_names_have_the_certificate_s_name_and_five_alphabet_characters() -> None:
    names = {next_key_secret_name(certificate("web")) for _ in range(200)}
    assert all(re.fullmatch(f"web-[{ALPHABET}]{{5}}", name) for name in names)
    assert len(names) > 190
