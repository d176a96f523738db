from __future__ import annotations

import pytest

from kybernetes.controllers.manager import DESCRIPTORS, ControllerDescriptor, enabled_controllers

ALL = [d.name for d in DESCRIPTORS]


def test_star_enables_every_default_controller() -> None:
    assert enabled_controllers("*") == ALL
    assert "garbage-collector-controller" in ALL and "namespace-controller" in ALL


def test_disable_by_name_or_alias() -> None:
    assert enabled_controllers("*,-namespace") == [n for n in ALL if n != "namespace-controller"]
    assert enabled_controllers("*,-garbage-collector-controller,-serviceaccount") == [
        n for n in ALL if n not in ("garbage-collector-controller", "serviceaccount-controller")
    ]


def test_explicit_list_without_star() -> None:
    assert enabled_controllers("garbagecollector,namespace") == [
        "namespace-controller",
        "garbage-collector-controller",
    ]
    assert enabled_controllers("") == []


def test_first_mention_wins() -> None:
    assert enabled_controllers("-namespace,namespace,*") == [n for n in ALL if n != "namespace-controller"]


def test_disabled_by_default_needs_explicit_name() -> None:
    extra = ControllerDescriptor("bootstrap-signer-controller", lambda ctx: None, ("bootstrapsigner",), False)  # type: ignore[arg-type,return-value]
    table = (*DESCRIPTORS, extra)
    assert "bootstrap-signer-controller" not in enabled_controllers("*", table)
    assert "bootstrap-signer-controller" in enabled_controllers("*,bootstrapsigner", table)


def test_unknown_controller_is_an_error() -> None:
    with pytest.raises(ValueError, match='"nope" is not in the list of known controllers'):
        enabled_controllers("*,-nope")
