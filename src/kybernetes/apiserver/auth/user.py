"""The authenticated identity of a request, as k8s.io/apiserver/pkg/authentication/user.

A :class:`UserInfo` is what authenticators produce and what authorizers, admission and
audit consume. It mirrors ``user.DefaultInfo``: a name, a uid, groups and "extra"
key/value lists (for example the service-account credential id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

# Well-known user and group names (k8s.io/apiserver/pkg/authentication/user/user.go).
SYSTEM_PRIVILEGED_GROUP: Final = "system:masters"
NODES_GROUP: Final = "system:nodes"
MONITORING_GROUP: Final = "system:monitoring"
ALL_UNAUTHENTICATED: Final = "system:unauthenticated"
ALL_AUTHENTICATED: Final = "system:authenticated"
ANONYMOUS: Final = "system:anonymous"
API_SERVER_USER: Final = "system:apiserver"
KUBE_PROXY: Final = "system:kube-proxy"
KUBE_CONTROLLER_MANAGER: Final = "system:kube-controller-manager"
KUBE_SCHEDULER: Final = "system:kube-scheduler"

# Service accounts (k8s.io/apiserver/pkg/authentication/serviceaccount).
SERVICE_ACCOUNT_USERNAME_PREFIX: Final = "system:serviceaccount:"
ALL_SERVICE_ACCOUNTS_GROUP: Final = "system:serviceaccounts"
SERVICE_ACCOUNT_GROUP_PREFIX: Final = "system:serviceaccounts:"

# Keys of UserInfo.extra set by the service-account authenticator.
CREDENTIAL_ID_KEY: Final = "authentication.kubernetes.io/credential-id"
POD_NAME_KEY: Final = "authentication.kubernetes.io/pod-name"
POD_UID_KEY: Final = "authentication.kubernetes.io/pod-uid"
NODE_NAME_KEY: Final = "authentication.kubernetes.io/node-name"
NODE_UID_KEY: Final = "authentication.kubernetes.io/node-uid"


@dataclass(frozen=True)
class UserInfo:
    """An authenticated (or anonymous) user. ``extra`` maps keys to lists of values."""

    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False, compare=True)

    def with_group(self, group: str) -> UserInfo:
        """A copy with ``group`` appended (unless already present)."""
        if group in self.groups:
            return self
        return UserInfo(self.name, self.uid, (*self.groups, group), dict(self.extra))

    def is_service_account(self) -> bool:
        return self.name.startswith(SERVICE_ACCOUNT_USERNAME_PREFIX)

    def to_user_info_dict(self) -> dict[str, Any]:
        """The ``authentication.k8s.io/v1`` UserInfo wire shape (used by TokenReview, SelfSubjectReview,
        SubjectAccessReview and the CSR ``spec.username``/``groups``/``extra`` fields)."""
        out: dict[str, Any] = {"username": self.name}
        if self.uid:
            out["uid"] = self.uid
        if self.groups:
            out["groups"] = list(self.groups)
        if self.extra:
            out["extra"] = {k: list(v) for k, v in self.extra.items()}
        return out


ANONYMOUS_USER: Final = UserInfo(ANONYMOUS, groups=(ALL_UNAUTHENTICATED,))


def service_account_username(namespace: str, name: str) -> str:
    """``system:serviceaccount:<namespace>:<name>``."""
    return f"{SERVICE_ACCOUNT_USERNAME_PREFIX}{namespace}:{name}"


def split_service_account_username(username: str) -> tuple[str, str] | None:
    """(namespace, name) of a service-account user name, or None if it is not one."""
    if not username.startswith(SERVICE_ACCOUNT_USERNAME_PREFIX):
        return None
    rest = username[len(SERVICE_ACCOUNT_USERNAME_PREFIX) :]
    parts = rest.split(":")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return None
    return parts[0], parts[1]


def service_account_groups(namespace: str) -> tuple[str, ...]:
    """``system:serviceaccounts`` and ``system:serviceaccounts:<namespace>``."""
    return (ALL_SERVICE_ACCOUNTS_GROUP, SERVICE_ACCOUNT_GROUP_PREFIX + namespace)
