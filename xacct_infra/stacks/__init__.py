"""One troposphere template class per side of the cross-account recipe."""

from xacct_infra.stacks.account_a import AccountATemplate
from xacct_infra.stacks.account_b import ConsumerTemplate

__all__ = ["AccountATemplate", "ConsumerTemplate"]
