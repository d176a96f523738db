"""Semantic validation of apps/v1 and batch/v1 workloads (pkg/apis/apps|batch/validation)."""

from __future__ import annotations

import re
from typing import Any, Final

from kybernetes.api.validation import field, names
from kybernetes.api.validation.common import (
    Errs,
    Obj,
    d,
    go_label_selector,
    go_string_map,
    go_struct,
    i,
    lst,
    nonnegative,
    s,
    selector_is_empty,
    selector_matches,
    semantic_equal,
    validate_label_selector,
)
from kybernetes.api.validation.core import validate_pod_template_spec

_PERCENT_RE: Final = re.compile(r"[0-9]+%")
_PERCENT_MSG: Final = names.regex_error(
    "a valid percent string must be a numeric string followed by an ending '%'", "[0-9]+%", "1%", "93%"
)


def _labels_of_template(template: Any) -> dict[str, str]:
    return {k: v for k, v in d(d(template, "metadata"), "labels").items() if isinstance(v, str)}


def _int_or_percent_value(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _PERCENT_RE.fullmatch(value):
        return int(value[:-1])
    return 0


def _positive_int_or_percent(errs: Errs, value: Any, path: str) -> None:
    if isinstance(value, str):
        if not _PERCENT_RE.fullmatch(value):
            errs.append(field.invalid(path, value, _PERCENT_MSG))
    elif isinstance(value, int) and not isinstance(value, bool) and value < 0:
        errs.append(field.invalid(path, value, "must be greater than or equal to 0"))


def _not_more_than_100_percent(errs: Errs, value: Any, path: str) -> None:
    if isinstance(value, str) and _PERCENT_RE.fullmatch(value) and int(value[:-1]) > 100:
        errs.append(field.invalid(path, value, "must not be greater than 100%"))


def _selector_and_template(errs: Errs, spec: Obj, kind_word: str, restart_always: bool = True) -> None:
    """Selector required and non-empty, template labels matched, template valid,
    restartPolicy Always and no activeDeadlineSeconds (ValidatePodTemplateSpecForReplicaSet)."""
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        errs.append(field.required("spec.selector", ""))
    else:
        validate_label_selector(errs, selector, "spec.selector")
        if selector_is_empty(selector):
            errs.append(
                field.invalid(
                    "spec.selector", go_label_selector(selector), f"empty selector is invalid for {kind_word}"
                )
            )
    template = spec.get("template")
    if not isinstance(template, dict):
        errs.append(field.required("spec.template", ""))
        return
    labels = _labels_of_template(template)
    if (
        isinstance(selector, dict)
        and not selector_is_empty(selector)
        and not selector_matches(selector, labels)
    ):
        errs.append(
            field.invalid(
                "spec.template.metadata.labels",
                go_string_map(labels),
                "`selector` does not match template `labels`",
            )
        )
    validate_pod_template_spec(errs, template, "spec.template")
    tspec = d(template, "spec")
    if restart_always:
        rp = s(tspec, "restartPolicy")
        if rp != "Always":
            errs.append(field.not_supported("spec.template.spec.restartPolicy", rp, ["Always"]))
    if tspec.get("activeDeadlineSeconds") is not None:
        errs.append(
            field.forbidden(
                "spec.template.spec.activeDeadlineSeconds",
                f"activeDeadlineSeconds in {kind_word_title(kind_word)} is not Supported",
            )
        )


def kind_word_title(word: str) -> str:
    return {"deployment": "ReplicaSet", "statefulset": "StatefulSet", "daemonset": "DaemonSet"}.get(
        word, word
    )


def _selector_immutable(errs: Errs, new: Obj, old: Obj) -> None:
    ns, os_ = d(new, "spec").get("selector"), d(old, "spec").get("selector")
    if not semantic_equal(ns, os_):
        errs.append(field.invalid("spec.selector", go_label_selector(ns), "field is immutable"))


# --- Deployment / ReplicaSet --------------------------------------------------------------


def validate_deployment(obj: Obj) -> Errs:
    errs: Errs = []
    spec = d(obj, "spec")
    nonnegative(errs, spec, "replicas", "spec")
    _selector_and_template(errs, spec, "deployment")
    strategy = d(spec, "strategy")
    stype = s(strategy, "type")
    if stype == "Recreate":
        if strategy.get("rollingUpdate") is not None:
            errs.append(
                field.forbidden(
                    "spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"
                )
            )
    elif stype == "RollingUpdate":
        ru = strategy.get("rollingUpdate")
        if not isinstance(ru, dict):
            errs.append(
                field.required("spec.strategy.rollingUpdate", "this should be defaulted and never be nil")
            )
        else:
            p = "spec.strategy.rollingUpdate"
            _positive_int_or_percent(errs, ru.get("maxUnavailable"), p + ".maxUnavailable")
            _positive_int_or_percent(errs, ru.get("maxSurge"), p + ".maxSurge")
            if (
                _int_or_percent_value(ru.get("maxUnavailable")) == 0
                and _int_or_percent_value(ru.get("maxSurge")) == 0
            ):
                errs.append(
                    field.invalid(
                        p + ".maxUnavailable", ru.get("maxUnavailable"), "may not be 0 when `maxSurge` is 0"
                    )
                )
            _not_more_than_100_percent(errs, ru.get("maxUnavailable"), p + ".maxUnavailable")
    else:
        errs.append(
            field.not_supported(
                "spec.strategy", go_struct("apps.DeploymentStrategy", strategy), ["Recreate", "RollingUpdate"]
            )
        )
    nonnegative(errs, spec, "minReadySeconds", "spec")
    nonnegative(errs, spec, "revisionHistoryLimit", "spec")
    pds = i(spec, "progressDeadlineSeconds")
    if pds is not None:
        nonnegative(errs, spec, "progressDeadlineSeconds", "spec")
        if pds <= (i(spec, "minReadySeconds") or 0):
            errs.append(
                field.invalid("spec.progressDeadlineSeconds", pds, "must be greater than minReadySeconds")
            )
    return errs


def validate_deployment_update(new: Obj, old: Obj) -> Errs:
    errs = validate_deployment(new)
    _selector_immutable(errs, new, old)
    return errs


def validate_replica_set(obj: Obj) -> Errs:
    errs: Errs = []
    spec = d(obj, "spec")
    nonnegative(errs, spec, "replicas", "spec")
    nonnegative(errs, spec, "minReadySeconds", "spec")
    _selector_and_template(errs, spec, "deployment")
    return errs


def validate_replica_set_update(new: Obj, old: Obj) -> Errs:
    errs = validate_replica_set(new)
    _selector_immutable(errs, new, old)
    return errs


# --- StatefulSet ---------------------------------------------------------------------------


def validate_stateful_set(obj: Obj) -> Errs:
    from kybernetes.api.validation.core import validate_pvc_spec

    errs: Errs = []
    spec = d(obj, "spec")
    pmp = s(spec, "podManagementPolicy")
    if pmp not in ("OrderedReady", "Parallel"):
        errs.append(field.invalid("spec.podManagementPolicy", pmp, "must be 'OrderedReady' or 'Parallel'"))
    strategy = d(spec, "updateStrategy")
    stype = s(strategy, "type")
    if stype == "RollingUpdate":
        ru = d(strategy, "rollingUpdate")
        nonnegative(errs, ru, "partition", "spec.updateStrategy.rollingUpdate")
        if ru.get("maxUnavailable") is not None:
            _positive_int_or_percent(
                errs, ru.get("maxUnavailable"), "spec.updateStrategy.rollingUpdate.maxUnavailable"
            )
    elif stype == "OnDelete":
        if strategy.get("rollingUpdate") is not None:
            errs.append(
                field.invalid(
                    "spec.updateStrategy.rollingUpdate",
                    go_struct("apps.RollingUpdateStatefulSetStrategy", strategy.get("rollingUpdate")),
                    "only allowed for updateStrategy 'RollingUpdate'",
                )
            )
    else:
        errs.append(
            field.invalid(
                "spec.updateStrategy",
                go_struct("apps.StatefulSetUpdateStrategy", strategy),
                "must be 'RollingUpdate' or 'OnDelete'",
            )
        )
    policy = d(spec, "persistentVolumeClaimRetentionPolicy")
    for key in ("whenDeleted", "whenScaled"):
        value = s(policy, key)
        if value not in ("Retain", "Delete"):
            errs.append(
                field.not_supported(
                    f"spec.persistentVolumeClaimRetentionPolicy.{key}", value, ["Retain", "Delete"]
                )
            )
    nonnegative(errs, spec, "replicas", "spec")
    nonnegative(errs, spec, "minReadySeconds", "spec")
    ordinals = d(spec, "ordinals")
    nonnegative(errs, ordinals, "start", "spec.ordinals")
    _selector_and_template(errs, spec, "statefulset")
    for idx, pvc in enumerate(lst(spec, "volumeClaimTemplates")):
        if not isinstance(pvc, dict):
            continue
        name = s(d(pvc, "metadata"), "name")
        p = f"spec.volumeClaimTemplates[{idx}]"
        if not name:
            errs.append(field.required(p + ".metadata.name", "name or generateName is required"))
        else:
            for msg in names.is_dns1123_subdomain(name):
                errs.append(field.invalid(p + ".metadata.name", name, msg))
        validate_pvc_spec(errs, d(pvc, "spec"), p + ".spec")
    return errs


_STS_UPDATABLE: Final = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)


def validate_stateful_set_update(new: Obj, old: Obj) -> Errs:
    errs = validate_stateful_set(new)
    nspec = {k: v for k, v in d(new, "spec").items() if k not in _STS_UPDATABLE}
    ospec = {k: v for k, v in d(old, "spec").items() if k not in _STS_UPDATABLE}
    if not semantic_equal(nspec, ospec):
        errs.append(
            field.forbidden(
                "spec",
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', "
                "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
            )
        )
    return errs


# --- DaemonSet -----------------------------------------------------------------------------


def validate_daemon_set(obj: Obj) -> Errs:
    errs: Errs = []
    spec = d(obj, "spec")
    _selector_and_template(errs, spec, "daemonset")
    nonnegative(errs, spec, "minReadySeconds", "spec")
    nonnegative(errs, spec, "templateGeneration", "spec")
    nonnegative(errs, spec, "revisionHistoryLimit", "spec")
    strategy = d(spec, "updateStrategy")
    stype = s(strategy, "type")
    if stype == "RollingUpdate":
        ru = strategy.get("rollingUpdate")
        if not isinstance(ru, dict):
            errs.append(field.required("spec.updateStrategy.rollingUpdate", ""))
        else:
            p = "spec.updateStrategy.rollingUpdate"
            _positive_int_or_percent(errs, ru.get("maxUnavailable"), p + ".maxUnavailable")
            _positive_int_or_percent(errs, ru.get("maxSurge"), p + ".maxSurge")
            mu, ms = (
                _int_or_percent_value(ru.get("maxUnavailable")),
                _int_or_percent_value(ru.get("maxSurge")),
            )
            if mu == 0 and ms == 0:
                errs.append(
                    field.invalid(
                        p + ".maxUnavailable", ru.get("maxUnavailable"), "may not be 0 when `maxSurge` is 0"
                    )
                )
            elif mu != 0 and ms != 0:
                errs.append(
                    field.invalid(
                        p + ".maxSurge", ru.get("maxSurge"), "may not be set when maxUnavailable is non-zero"
                    )
                )
            _not_more_than_100_percent(errs, ru.get("maxUnavailable"), p + ".maxUnavailable")
    elif stype != "OnDelete":
        errs.append(field.not_supported("spec.updateStrategy.type", stype, ["OnDelete", "RollingUpdate"]))
    return errs


def validate_daemon_set_update(new: Obj, old: Obj) -> Errs:
    errs = validate_daemon_set(new)
    _selector_immutable(errs, new, old)
    return errs


# --- Job / CronJob -------------------------------------------------------------------------


def _validate_job_spec(errs: Errs, spec: Obj, path: str, in_cron_job: bool) -> None:
    for key in (
        "parallelism",
        "completions",
        "backoffLimit",
        "activeDeadlineSeconds",
        "ttlSecondsAfterFinished",
    ):
        nonnegative(errs, spec, key, path)
    ads = i(spec, "activeDeadlineSeconds")
    if ads is not None and ads == 0:
        errs.append(field.invalid(path + ".activeDeadlineSeconds", ads, "must be greater than 0"))
    mode = spec.get("completionMode")
    if mode is not None and mode not in ("NonIndexed", "Indexed"):
        errs.append(field.not_supported(path + ".completionMode", mode, ["NonIndexed", "Indexed"]))
    if mode == "Indexed" and i(spec, "completions") is None:
        errs.append(field.required(path + ".completions", "when completion mode is Indexed"))
    selector = spec.get("selector")
    template = spec.get("template")
    if isinstance(selector, dict):
        validate_label_selector(errs, selector, path + ".selector")
        if isinstance(template, dict) and not selector_matches(selector, _labels_of_template(template)):
            errs.append(
                field.invalid(
                    path + ".template.metadata.labels",
                    go_string_map(_labels_of_template(template)),
                    "`selector` does not match template `labels`",
                )
            )
    elif spec.get("manualSelector") is True and not in_cron_job:
        errs.append(field.required(path + ".selector", ""))
    if not isinstance(template, dict):
        errs.append(field.required(path + ".template", ""))
        return
    validate_pod_template_spec(errs, template, path + ".template")
    rp = s(d(template, "spec"), "restartPolicy")
    if rp in ("Always", ""):
        errs.append(
            field.required(path + ".template.spec.restartPolicy", 'valid values: "OnFailure", "Never"')
        )
    elif rp not in ("OnFailure", "Never"):
        errs.append(field.not_supported(path + ".template.spec.restartPolicy", rp, ["OnFailure", "Never"]))


def validate_job(obj: Obj) -> Errs:
    errs: Errs = []
    _validate_job_spec(errs, d(obj, "spec"), "spec", in_cron_job=False)
    return errs


def validate_job_update(new: Obj, old: Obj) -> Errs:
    errs = validate_job(new)
    nspec, ospec = d(new, "spec"), d(old, "spec")
    _selector_immutable(errs, new, old)
    if not semantic_equal(nspec.get("template"), ospec.get("template")):
        # upstream lets suspended jobs change scheduling directives; everything else is fixed
        n_t, o_t = d(nspec, "template"), d(ospec, "template")
        allowed = ("nodeSelector", "affinity", "tolerations", "schedulingGates")
        suspended = nspec.get("suspend") is True
        n_rest = {k: v for k, v in d(n_t, "spec").items() if not (suspended and k in allowed)}
        o_rest = {k: v for k, v in d(o_t, "spec").items() if not (suspended and k in allowed)}
        n_meta = d(n_t, "metadata") if not suspended else {}
        o_meta = d(o_t, "metadata") if not suspended else {}
        if not semantic_equal(n_rest, o_rest) or not semantic_equal(n_meta, o_meta):
            errs.append(
                field.invalid("spec.template", go_struct("core.PodTemplateSpec", n_t), "field is immutable")
            )
    if nspec.get("completionMode") != ospec.get("completionMode"):
        errs.append(field.invalid("spec.completionMode", nspec.get("completionMode"), "field is immutable"))
    if nspec.get("completions") != ospec.get("completions") and nspec.get("completionMode") != "Indexed":
        errs.append(field.invalid("spec.completions", nspec.get("completions"), "field is immutable"))
    if nspec.get("podFailurePolicy") != ospec.get("podFailurePolicy"):
        errs.append(
            field.invalid(
                "spec.podFailurePolicy",
                go_struct("batch.PodFailurePolicy", nspec.get("podFailurePolicy")),
                "field is immutable",
            )
        )
    return errs


_CRON_FIELD_RANGES: Final = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))
_CRON_NAMES: Final[tuple[dict[str, int], ...]] = (
    {},
    {},
    {},
    {
        m: n + 1
        for n, m in enumerate(
            ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
        )
    },
    {w: n for n, w in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))},
)
_CRON_DESCRIPTORS: Final = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)


def _cron_value(text: str, idx: int) -> int:
    low = text.lower()
    if low in _CRON_NAMES[idx]:
        return _CRON_NAMES[idx][low]
    if not text.isdigit():
        raise ValueError(
            f"failed to parse int from {text}: strconv.Atoi: parsing {text!r}: invalid syntax".replace(
                "'", '"'
            )
        )
    return int(text)


def cron_schedule_error(schedule: str) -> str | None:
    """None if ``schedule`` parses as robfig/cron's ParseStandard would, else its error."""
    spec = schedule.strip()
    if spec.startswith("@"):
        if spec in _CRON_DESCRIPTORS or spec.startswith("@every "):
            return None
        return f"unrecognized descriptor: {spec}"
    fields = spec.split()
    if len(fields) != 5:
        return f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]"
    for idx, part in enumerate(fields):
        lo_bound, hi_bound = _CRON_FIELD_RANGES[idx]
        for expr in part.split(","):
            try:
                rng, _, step_text = expr.partition("/")
                if rng in ("*", "?"):
                    lo, hi = lo_bound, hi_bound
                else:
                    a, dash, b = rng.partition("-")
                    lo = _cron_value(a, idx)
                    hi = _cron_value(b, idx) if dash else (hi_bound if step_text else lo)
                step = 1
                if step_text:
                    step = int(step_text) if step_text.isdigit() else -1
                    if step <= 0:
                        return f'failed to parse int from {step_text}: strconv.Atoi: parsing "{step_text}": invalid syntax'
            except ValueError as e:
                return str(e)
            if lo < lo_bound:
                return f"beginning of range ({lo}) below minimum ({lo_bound}): {expr}"
            if hi > hi_bound:
                return f"end of range ({hi}) above maximum ({hi_bound}): {expr}"
            if lo > hi:
                return f"beginning of range ({lo}) beyond end of range ({hi}): {expr}"
    return None


def validate_cron_job(obj: Obj) -> Errs:
    errs: Errs = []
    spec = d(obj, "spec")
    schedule = s(spec, "schedule")
    if not schedule:
        errs.append(field.required("spec.schedule", ""))
    elif "TZ" in schedule:
        errs.append(
            field.invalid(
                "spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
            )
        )
    else:
        msg = cron_schedule_error(schedule)
        if msg is not None:
            errs.append(field.invalid("spec.schedule", schedule, msg))
    policy = s(spec, "concurrencyPolicy")
    if not policy:
        errs.append(field.required("spec.concurrencyPolicy", ""))
    elif policy not in ("Allow", "Forbid", "Replace"):
        errs.append(field.not_supported("spec.concurrencyPolicy", policy, ["Allow", "Forbid", "Replace"]))
    for key in ("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        nonnegative(errs, spec, key, "spec")
    job_template = d(spec, "jobTemplate")
    jmeta = d(job_template, "metadata")
    from kybernetes.api.validation.common import validate_annotations, validate_labels

    validate_labels(errs, jmeta.get("labels"), "spec.jobTemplate.metadata.labels")
    validate_annotations(errs, jmeta.get("annotations"), "spec.jobTemplate.metadata.annotations")
    _validate_job_spec(errs, d(job_template, "spec"), "spec.jobTemplate.spec", in_cron_job=True)
    return errs


def validate_cron_job_create_name(obj: Obj) -> Errs:
    name = s(d(obj, "metadata"), "name")
    if len(name) > 52:
        return [field.invalid("metadata.name", name, "must be no more than 52 characters")]
    return []
