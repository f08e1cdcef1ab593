"""curl headers naming a secret are moved into an in-memory header file, never argv."""

from __future__ import annotations

import os

from shellgate.vault.headers import curl_argv

VALUE = "rw_live_0a1b2c3d4e5f60718293a4b5c6d7"


def read(path: str) -> str:
    fd = int(path.removeprefix("@/dev/fd/"))
    try:
        return os.read(fd, 4096).decode()
    finally:
        os.close(fd)


def test_header_placeholders_become_header_files() -> None:
    argv = ["curl", "-s", "-H", "Authorization: Bearer ${RAILWAY_TOKEN}",
            "--header=X-Token: $RAILWAY_TOKEN", "-HX-Other: $UNKNOWN",
            "https://backboard.railway.app/graphql/v2"]
    out = curl_argv(argv, {"RAILWAY_TOKEN": VALUE})
    assert VALUE not in " ".join(out)
    assert out[0:3] == ["curl", "-s", "-H"] and out[-1] == argv[-1]
    assert read(out[3]) == f"Authorization: Bearer {VALUE}\n"
    assert out[4].startswith("--header=@/dev/fd/")
    assert read(out[4].removeprefix("--header=")) == f"X-Token: {VALUE}\n"
    assert out[5] == "-HX-Other: $UNKNOWN"  # names no secret: left as written


def test_other_tools_and_no_values_are_untouched() -> None:
    argv = ["wget", "--header", "Authorization: Bearer ${RAILWAY_TOKEN}", "https://x"]
    assert curl_argv(argv, {"RAILWAY_TOKEN": VALUE}) == argv
    assert curl_argv(["curl", "-H", "A: ${T}"], {}) == ["curl", "-H", "A: ${T}"]
