"""config.toml is read by tomllib once per text: later calls take the settings from the
cache beside the compiled rules, only while the text is the same; a broken file is never
cached and still refuses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shellgate.config import Config
from shellgate.errors import ConfigError

PROBE = """
import sys
sys.path[:0] = {path!r}
from shellgate.config import Config
config = Config.at(sys.argv[1])
print(config.approval_timeout, config.allow_software_keys, config.strict,
      "tomllib" in sys.modules)
"""


def _at(directory: Path) -> list[str]:
    result = subprocess.run([sys.executable, "-I", "-c", PROBE.format(path=sys.path),
                             str(directory)],
                            capture_output=True, text=True, check=True)
    return result.stdout.split()


def test_reading_the_settings_never_creates_the_cache_directory(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("approval_timeout = 7\n")
    assert _at(tmp_path) == ["7.0", "False", "False", "True"]
    assert not (tmp_path / "cache").exists()  # install --dry-run must write nothing


def test_settings_are_parsed_once_per_text(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("approval_timeout = 7\nallow_software_keys = true\n")
    (tmp_path / "cache").mkdir()  # made when rules are compiled
    assert _at(tmp_path) == ["7.0", "True", "False", "True"]  # parsed, then cached
    assert (tmp_path / "cache" / "settings.marshal").is_file()
    assert _at(tmp_path) == ["7.0", "True", "False", "False"]  # from the cache
    (tmp_path / "config.toml").write_text("approval_timeout = 9\nstrict = true\n")
    assert _at(tmp_path) == ["9.0", "False", "True", "True"]  # a new text is parsed again
    assert _at(tmp_path) == ["9.0", "False", "True", "False"]


def test_a_broken_file_is_never_cached(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("approval_timeout = 7\n")
    Config.at(str(tmp_path))
    (tmp_path / "config.toml").write_text("approval_timeout = true\n")
    with pytest.raises(ConfigError, match="wrong type"):
        Config.at(str(tmp_path))
    with pytest.raises(ConfigError, match="wrong type"):
        Config.at(str(tmp_path))
    (tmp_path / "config.toml").write_text("approval_timeout = [\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        Config.at(str(tmp_path))


def test_a_damaged_cache_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("approval_timeout = 5\n")
    (tmp_path / "cache").mkdir()
    Config.at(str(tmp_path))
    cache = tmp_path / "cache" / "settings.marshal"
    for junk in (b"", b"\x00garbage", b"\xe9" * 40):
        cache.write_bytes(junk)
        assert Config.at(str(tmp_path)).approval_timeout == 5.0
