"""Evidence a person can read: why a record resolves to its person.

Evidence is stored on ``RESOLVES_TO.evidence`` as a JSON string with a
one-line ``summary`` and, for model links, one entry per compared field::

    {"method": "model", "via": "police:N-42", "probability": 0.9993, "match_weight": 10.6,
     "prior_weight": -16.2,
     "fields": [{"field": "given_name", "this": "katie", "other": "kate",
                 "level": "nickname or variant", "weight": 4.1}, ...],
     "summary": "linked to police:N-42 by the model (p=0.9993): given name ..."}
"""

from __future__ import annotations

import json
import math
from typing import Any, Mapping

from ..identifiers import IDENTIFIER_LABELS
from .model import COMPARISON_FIELDS

__all__ = ["model_evidence", "exact_evidence", "decision_evidence", "singleton_evidence",
           "dump", "render"]

_FIELD_LABELS = {"given_name": "given name", "family_name": "family name", "dob": "date of birth",
                 "sex": "sex", "address": "address"}


def _num(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(out) else out


def _value(pair: Mapping[str, Any], column: str, side: str) -> Any:
    value = pair.get(f"{column}_{side}")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def model_evidence(pair: Mapping[str, Any], this: str, labels: Mapping[str, Mapping[int, str]],
                   prior_weight: float) -> dict[str, Any]:
    """Evidence for a model link between ``this`` record and the other record of ``pair``."""
    this_side, other_side = ("l", "r") if pair["unique_id_l"] == this else ("r", "l")
    other = pair[f"unique_id_{other_side}"]
    fields = []
    for comparison, columns in COMPARISON_FIELDS.items():
        gamma = int(_num(pair.get(f"gamma_{comparison}")))
        weight = _num(pair.get(f"mw_{comparison}")) + _num(pair.get(f"mw_tf_adj_{comparison}"))
        tf_adj = _num(pair.get(f"mw_tf_adj_{comparison}"))
        entry: dict[str, Any] = {
            "field": comparison,
            "this": " ".join(str(v) for c in columns if (v := _value(pair, c, this_side)) is not None) or None,
            "other": " ".join(str(v) for c in columns if (v := _value(pair, c, other_side)) is not None) or None,
            "level": labels.get(comparison, {}).get(gamma, str(gamma)),
            "weight": round(weight, 2),
        }
        if tf_adj:
            entry["common_value_adjustment"] = round(tf_adj, 2)
        fields.append(entry)
    probability = _num(pair["match_probability"])
    out = {
        "method": "model",
        "via": other,
        "probability": round(probability, 6),
        "match_weight": round(_num(pair["match_weight"]), 2),
        "prior_weight": round(prior_weight, 2),
        "fields": fields,
    }
    parts = [f"{_FIELD_LABELS[f['field']]} {f['level']} ({f['weight']:+.1f})" for f in fields]
    out["summary"] = (f"linked to {other} by the model (p={probability:.4f}, weight "
                      f"{out['match_weight']:+.1f}, prior {prior_weight:+.1f}): " + "; ".join(parts))
    return out


def exact_evidence(kind: str, value: str, other: str) -> dict[str, Any]:
    label = IDENTIFIER_LABELS[kind]
    return {"method": "exact", "via": other, "identifier": kind, "value": value, "probability": 1.0,
            "summary": f"linked to {other}: same {label} {value}"}


def decision_evidence(decision: Mapping[str, Any], other: str) -> dict[str, Any]:
    return {"method": "decision", "via": other, "decision": decision["key"],
            "decided_by": decision.get("decided_by"), "decided_at": decision.get("decided_at"),
            "reason": decision.get("reason"), "probability": 1.0,
            "summary": (f"linked to {other} by a human decision of {decision.get('decided_by')} "
                        f"on {decision.get('decided_at')}: {decision.get('reason')}")}


def singleton_evidence(threshold: float) -> dict[str, Any]:
    return {"method": "singleton", "probability": 1.0,
            "summary": f"no other record matched at probability >= {threshold}"}


def dump(evidence: Mapping[str, Any]) -> str:
    return json.dumps(evidence, sort_keys=True, default=str)


def render(evidence_json: str | None) -> list[str]:
    """Evidence as readable lines (summary, then one line per compared field)."""
    if not evidence_json:
        return ["(no evidence stored)"]
    try:
        evidence = json.loads(evidence_json)
    except json.JSONDecodeError:
        return [str(evidence_json)]
    lines = [evidence.get("summary", "")]
    for f in evidence.get("fields", []):
        adj = f.get("common_value_adjustment")
        extra = f" incl. {adj:+.2f} for a common value" if adj else ""
        lines.append(f"    {_FIELD_LABELS.get(f['field'], f['field']):<14} "
                     f"{str(f.get('this')):<28} vs {str(f.get('other')):<28} "
                     f"{f.get('level')}: {f.get('weight'):+.2f}{extra}")
    return lines
