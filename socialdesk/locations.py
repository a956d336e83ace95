"""Every path socialdesk uses (config, data, state, cache database, user themes), from platformdirs."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import PlatformDirs

_DIRS = PlatformDirs("socialdesk", appauthor=False)


def config_dir() -> Path:
    """Where config.toml, the playbook and user themes live (SOCIALDESK_CONFIG_DIR overrides)."""
    return Path(os.environ.get("SOCIALDESK_CONFIG_DIR") or _DIRS.user_config_dir)


def data_dir() -> Path:
    """Where caches and secrets live (SOCIALDESK_DATA_DIR overrides)."""
    return Path(os.environ.get("SOCIALDESK_DATA_DIR") or _DIRS.user_data_dir)


def state_dir() -> Path:
    """Where crash logs go (SOCIALDESK_STATE_DIR overrides)."""
    return Path(os.environ.get("SOCIALDESK_STATE_DIR") or _DIRS.user_state_dir)


def config_file() -> Path:
    """The default config file."""
    return config_dir() / "config.toml"


def workspace_db() -> Path:
    """The cache of the configured workspace."""
    return data_dir() / "socialdesk.db"


def demo_db() -> Path:
    """The cache of the embedded demo workspace (kept apart from real data)."""
    return data_dir() / "demo.db"


def secrets_file() -> Path:
    """The 0600 fallback file for tokens when no OS keyring is available."""
    return data_dir() / "secrets.json"


def user_themes_dir() -> Path:
    """Extra theme files a user adds."""
    return config_dir() / "themes"


def package_themes_dir() -> Path:
    """Themes shipped inside the package."""
    return Path(__file__).parent / "themes"


def package_data_dir() -> Path:
    """Files shipped inside the package (sample playbook ...)."""
    return Path(__file__).parent / "data"
