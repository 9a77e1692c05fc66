"""The rule checks of the semantic and auth layers: importing this package registers them
(`contract_tests.registry.rule`), in the run order of `semantic.MODULES`, then auth."""

from ..registry import CHECKS, RuleCheck
from . import auth, semantic  # noqa: F401 - registration by import

ALL: tuple[RuleCheck, ...] = tuple(CHECKS)  # every check, in run order
