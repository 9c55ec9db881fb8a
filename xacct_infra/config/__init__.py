"""The config: a frozen model (:mod:`.model`) and its loader/validator (:mod:`.validate`, with the
per-value checks in :mod:`.fields` and the kind-specific keys in :mod:`.consumer_kind`)."""

from xacct_infra.config.model import (
    DEFAULT_CONFIG,
    KEY_ACCESS,
    KEY_LEVELS,
    SIDES,
    TABLE_ACCESS,
    TABLE_LEVELS,
    AccessRole,
    AccountA,
    Config,
    Consumer,
    ConsumerView,
    Key,
    KeyAccess,
    Side,
    Table,
    TableAccess,
    TrustMode,
)
from xacct_infra.config.validate import load, loads

__all__ = ["DEFAULT_CONFIG", "KEY_ACCESS", "KEY_LEVELS", "SIDES", "TABLE_ACCESS", "TABLE_LEVELS", "AccessRole", "AccountA",
           "Config", "Consumer", "ConsumerView", "Key", "KeyAccess", "Side", "Table", "TableAccess", "TrustMode", "load", "loads"]
