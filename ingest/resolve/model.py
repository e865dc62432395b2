"""The Splink model: comparisons, blocking, unsupervised training and scoring.

Splink 5 API (DuckDB backend): tables are registered with ``DuckDBAPI.register``
and the Linker takes the registered table and a settings dict. Nothing here
touches the network (no ``splink_datasets``, no charts).

Comparisons (each level's weight is learnt, never hand-set):

- ``given_name``: exact (term-frequency adjusted), nickname/variant group
  (``nicknames.csv``), split or joined (Ly Dia / Lydia), Jaro-Winkler >= 0.92,
  one typo (Damerau-Levenshtein 1), a shared given or middle name, given and
  family names swapped (exactly, then with typos), initial only, a spelling
  variant (two edits in names of 6+ letters, or one name starting the other),
  else. A model link never joins records whose given names fall in "else"
  (twins, siblings): see ``guards.py``.
- ``family_name``: exact (term-frequency adjusted), Jaro-Winkler >= 0.92, same
  Soundex, one part of a double-barrelled name, swapped with the given name
  (weight fixed at 0: the given-name comparison already counts the swap), else.
- ``dob``: exact (a real date), exact on a 01/01 date, day and month
  transposed, one side a 01/01 default in the same year, one typo or two
  adjacent digits transposed, century differs, two typos, day and month
  transposed plus a typo, same year and month, within 5 years, more than 5
  years apart and no typo (a parent and a child who share a name and an
  address differ here; ``guards.py`` vetoes model links at this level).
- ``sex``: same, different.
- ``address`` (UPRN, postcode and address text together, because they are strongly
  correlated and Fellegi-Sunter assumes independence): same UPRN, same address text, same
  postcode and house number, same postcode (term-frequency adjusted), similar
  address text, same house number with most words shared (in any order), same
  postcode sector, same district, else.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["MODEL_COLUMNS", "COMPARISON_FIELDS", "build_settings", "TrainedModel", "train_and_predict",
           "predict_with_model", "level_labels", "DEFAULT_MODEL_FILE", "load_default_model",
           "save_default_model", "fill_unobserved", "predict_increment"]

# A model trained on the synthetic population (bench/bench_resolve.py --update-default-model),
# used when a store holds too few records to train on.
DEFAULT_MODEL_FILE = Path(__file__).with_name("default_model.json")

# Columns the Splink table carries (the rest of the cleaned table stays in pandas).
MODEL_COLUMNS = ["unique_id", "given", "given_groups", "given_all", "given_joined", "family", "family_parts", "family_soundex",
                 "given_soundex", "dob", "dob_swapped", "dob_year", "dob_is_default", "sex", "postcode",
                 "postcode_sector", "postcode_district", "address", "address_words", "house_number",
                 "uprn"]

# comparison output name -> the cleaned columns shown as its evidence
COMPARISON_FIELDS: dict[str, tuple[str, ...]] = {
    "given_name": ("given",),
    "family_name": ("family",),
    "dob": ("dob",),
    "sex": ("sex",),
    "address": ("postcode", "address"),
}


# m probability of "dates of birth more than 5 years apart": the share of true
# matches recorded with such a gap (not a one-digit typo). A prior, not learnt.
DOB_FAR_APART_M = 0.001


def _null(cond: str) -> dict[str, Any]:
    return {"sql_condition": cond, "label_for_charts": "missing", "is_null_level": True}


def _level(cond: str, label: str, tf: str | None = None) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": cond, "label_for_charts": label}
    if tf:
        level["tf_adjustment_column"] = tf
        level["tf_adjustment_weight"] = 1.0
    return level


_ELSE = {"sql_condition": "ELSE", "label_for_charts": "different"}

# Given names that are one name spelt differently, though no closer level caught it: at
# most two edits apart when both are 6+ letters (short names two edits apart are often
# different names: Ella / Emma), or one name is the start of the other (Chris /
# Christopher; 3+ letters). Only "different" given names count as a possible twin.
GIVEN_SPELLING_VARIANT = (
    "(least(length(given_joined_l), length(given_joined_r)) >= 6 "
    "AND damerau_levenshtein(given_joined_l, given_joined_r) <= 2) "
    "OR (least(length(given_l), length(given_r)) >= 3 "
    "AND (starts_with(given_l, given_r) OR starts_with(given_r, given_l)))")

# Given and family names exchanged, one or both misspelt (Mihcael Godfrey / Godfrey Michael).
NAMES_SWAPPED_WITH_TYPOS = ("jaro_winkler_similarity(given_l, family_r) >= 0.9 "
                            "AND jaro_winkler_similarity(family_l, given_r) >= 0.9")

COMPARISONS: list[dict[str, Any]] = [
    {
        "output_column_name": "given_name",
        "comparison_description": "given name",
        "comparison_levels": [
            _null("given_l IS NULL OR given_r IS NULL"),
            _level("given_l = given_r", "same", tf="given"),
            _level("list_has_any(given_groups_l, given_groups_r)", "nickname or variant"),
            _level("given_joined_l = given_joined_r", "split or joined (ly dia / lydia)"),
            _level("jaro_winkler_similarity(given_l, given_r) >= 0.92", "very similar"),
            _level("damerau_levenshtein(given_l, given_r) <= 1", "one typo"),
            _level("list_has_any(given_all_l, given_all_r)", "shares a given or middle name"),
            _level("given_l = family_r AND family_l = given_r", "given and family names swapped"),
            _level(NAMES_SWAPPED_WITH_TYPOS, "given and family names swapped, with typos"),
            _level("(length(given_l) = 1 OR length(given_r) = 1) "
                   "AND substr(given_l, 1, 1) = substr(given_r, 1, 1)", "initial agrees"),
            _level(GIVEN_SPELLING_VARIANT, "spelling variant (two typos in a long name, or one "
                   "name starts the other)"),
            _ELSE,
        ],
    },
    {
        "output_column_name": "family_name",
        "comparison_description": "family name",
        "comparison_levels": [
            _null("family_l IS NULL OR family_r IS NULL"),
            _level("family_l = family_r", "same", tf="family"),
            _level("jaro_winkler_similarity(family_l, family_r) >= 0.92", "very similar"),
            _level("family_soundex_l = family_soundex_r", "sounds alike"),
            _level("list_has_any(family_parts_l, family_parts_r)", "shares one part"),
            # The given-name comparison weighs a swap; here it counts for nothing
            # either way, so one fact is not counted twice.
            {"sql_condition": f"(given_l = family_r AND family_l = given_r) OR ({NAMES_SWAPPED_WITH_TYPOS})",
             "label_for_charts": "given and family names swapped (weighed under given name)",
             "m_probability": 0.001, "u_probability": 0.001,
             "fix_m_probability": True, "fix_u_probability": True},
            _ELSE,
        ],
    },
    {
        "output_column_name": "dob",
        "comparison_description": "date of birth",
        "comparison_levels": [
            _null("dob_l IS NULL OR dob_r IS NULL"),
            _level("dob_l = dob_r AND NOT dob_is_default_l", "same"),
            _level("dob_l = dob_r", "same 01/01 date (often a default)"),
            _level("dob_l = dob_swapped_r", "day and month transposed"),
            _level("(dob_is_default_l OR dob_is_default_r) AND dob_year_l = dob_year_r",
                   "one is a 01/01 default, same year"),
            _level("damerau_levenshtein(dob_l, dob_r) <= 1", "one digit differs or two transposed"),
            _level("substr(dob_l, 3) = substr(dob_r, 3)", "century differs (1912 / 2012)"),
            _level("damerau_levenshtein(dob_l, dob_r) <= 2", "two digits differ"),
            _level("damerau_levenshtein(dob_l, dob_swapped_r) <= 2 "
                   "OR damerau_levenshtein(dob_swapped_l, dob_r) <= 2",
                   "day and month transposed, and a typo"),
            _level("substr(dob_l, 1, 7) = substr(dob_r, 1, 7)", "same year and month"),
            _level("abs(cast(dob_year_l AS INTEGER) - cast(dob_year_r AS INTEGER)) <= 5",
                   "within 5 years"),
            # Fixed, not learnt: namesake parents and children at one address look
            # like matches to EM and would teach it that such gaps are common.
            {"sql_condition": "ELSE", "label_for_charts": "more than 5 years apart",
             "m_probability": DOB_FAR_APART_M, "fix_m_probability": True},
        ],
    },
    {
        "output_column_name": "sex",
        "comparison_description": "sex",
        "comparison_levels": [
            _null("sex_l IS NULL OR sex_r IS NULL"),
            _level("sex_l = sex_r", "same"),
            _ELSE,
        ],
    },
    {
        "output_column_name": "address",
        "comparison_description": "postcode and address",
        "comparison_levels": [
            _null("(postcode_l IS NULL AND address_l IS NULL AND uprn_l IS NULL) "
                  "OR (postcode_r IS NULL AND address_r IS NULL AND uprn_r IS NULL)"),
            _level("uprn_l = uprn_r", "same UPRN"),
            _level("address_l = address_r AND (postcode_l = postcode_r OR postcode_l IS NULL "
                   "OR postcode_r IS NULL)", "same address"),
            _level("postcode_l = postcode_r AND house_number_l = house_number_r",
                   "same postcode and house number"),
            _level("postcode_l = postcode_r", "same postcode", tf="postcode"),
            _level("jaro_winkler_similarity(address_l, address_r) >= 0.9", "similar address text"),
            _level("house_number_l = house_number_r AND 2 * len(list_intersect(address_words_l, "
                   "address_words_r)) >= greatest(len(address_words_l), len(address_words_r))",
                   "same house number, most words shared (reordered)"),
            _level("postcode_sector_l = postcode_sector_r", "same postcode sector"),
            _level("postcode_district_l = postcode_district_r", "same postcode district"),
            _ELSE,
        ],
    },
]

# Pairs the model scores: a record pair is compared when any rule holds.
BLOCKING_RULES = [
    "l.dob = r.dob",
    "l.dob = r.dob_swapped",
    "l.family = r.family AND l.dob_year = r.dob_year",
    "l.given = r.given AND l.dob_year = r.dob_year",
    "l.given = r.given AND l.family_soundex = r.family_soundex",
    "l.postcode = r.postcode AND l.family_soundex = r.family_soundex",
    "l.given = r.family AND l.family = r.given",
    "l.given_soundex = r.family_soundex AND l.family_soundex = r.given_soundex",
    "l.family = r.family AND l.given_soundex = r.given_soundex",
    # A missing postcode: the house number and the family name's sound stand in for it.
    "l.house_number = r.house_number AND l.family_soundex = r.family_soundex "
    "AND (l.postcode IS NULL OR r.postcode IS NULL)",
]

# Rules precise enough to count "certain" matches when estimating how often two
# random records match (their recall is measured on identifier-linked pairs).
DETERMINISTIC_RULES = [
    "l.given = r.given AND l.family = r.family AND l.dob = r.dob",
]


def build_settings() -> dict[str, Any]:
    """The Splink settings dict (untrained)."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": COMPARISONS,
        "blocking_rules_to_generate_predictions": BLOCKING_RULES,
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": True,
        "additional_columns_to_retain": [],
        "em_convergence": 0.001,
        "max_iterations": 25,
    }


def load_default_model() -> dict[str, Any] | None:
    """The bundled pre-trained model ``{"trained_on_records": n, "model": settings}``, or None."""
    if not DEFAULT_MODEL_FILE.exists():
        return None
    return json.loads(DEFAULT_MODEL_FILE.read_text(encoding="utf-8"))


def save_default_model(model: dict[str, Any], trained_on_records: int,
                       path: Path = DEFAULT_MODEL_FILE) -> Path:
    """Write ``model`` as the bundled pre-trained model (see ``load_default_model``)."""
    payload = {"trained_on_records": int(trained_on_records), "model": model}
    path.write_text(json.dumps(payload, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return path


def level_labels(model: dict[str, Any]) -> dict[str, dict[int, str]]:
    """comparison name -> {gamma value -> level label} from a (trained) settings dict.

    Splink numbers the null level -1 and the others from n-1 (top) down to 0 (else).
    """
    out: dict[str, dict[int, str]] = {}
    for comp in model["comparisons"]:
        levels = comp["comparison_levels"]
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        mapping = {-1: "missing"}
        for i, lv in enumerate(non_null):
            mapping[len(non_null) - 1 - i] = lv.get("label_for_charts", lv["sql_condition"])
        out[comp["output_column_name"]] = mapping
    return out


@dataclass
class TrainedModel:
    """A trained model and the scored pairs it produced."""

    settings: dict[str, Any]
    """The trained Splink settings (m, u, lambda) as saved to JSON."""
    pairs: pd.DataFrame
    """Scored pairs above the review floor: unique_id_l, unique_id_r, match_probability,
    match_weight, gamma_*, mw_*, mw_tf_adj_* and the compared values."""
    recall_of_deterministic_rule: float
    """Share of identifier-linked pairs that the deterministic rule also finds (used for lambda)."""


def _quiet_splink() -> None:
    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.ERROR)


def train_and_predict(table: pd.DataFrame, id_pairs: pd.DataFrame, *, floor: float,
                      seed: int = 42, u_max_pairs: float = 2e6, threads: int = 2) -> TrainedModel:
    """Train the model on ``table`` without labels (EM) and score the blocked pairs.

    ``id_pairs`` (columns ``l``, ``r``) are record pairs linked by a shared strong
    identifier; they only serve to estimate the recall of the deterministic rule
    that sets the prior, never as training labels. Pairs scoring below
    ``floor`` are dropped.
    """
    import duckdb
    from splink import DuckDBAPI, Linker

    _quiet_splink()
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(threads)}")
    db_api = DuckDBAPI(connection=con)
    sdf = db_api.register(table[MODEL_COLUMNS].copy(), table_name="mashgraph_records")
    linker = Linker(sdf, build_settings(), log_level=None)

    recall = _deterministic_recall(con, id_pairs)
    linker.training.estimate_probability_two_random_records_match(DETERMINISTIC_RULES, recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    linker.training.estimate_parameters_using_expectation_maximisation(
        "l.dob = r.dob", estimate_without_term_frequencies=True)
    linker.training.estimate_parameters_using_expectation_maximisation(
        "l.given = r.given AND l.family = r.family", estimate_without_term_frequencies=True)

    settings = fill_unobserved(linker.misc.save_model_to_json(None), u_max_pairs)
    linker = Linker(sdf, settings, log_level=None)
    predictions = linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
    pairs = predictions.as_pandas_dataframe()
    settings = linker.misc.save_model_to_json(None)
    con.close()
    return TrainedModel(settings=settings, pairs=pairs, recall_of_deterministic_rule=recall)


def fill_unobserved(settings: dict[str, Any], u_pairs: float) -> dict[str, Any]:
    """Give levels that training never observed principled values instead of Splink's
    position-based defaults.

    A level never seen among ``u_pairs`` random pairs gets u = 1 / u_pairs (the
    most it could be, roughly); a level EM never saw among matches gets m = u,
    i.e. a weight of 0: no evidence either way.
    """
    floor = 1.0 / max(float(u_pairs), 1.0)
    for comp in settings["comparisons"]:
        for level in comp["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            u = level.get("u_probability")
            if not isinstance(u, (int, float)) or u <= 0:
                level["u_probability"] = u = floor
            m = level.get("m_probability")
            if not isinstance(m, (int, float)) or m <= 0:
                level["m_probability"] = u
    return settings


def predict_with_model(table: pd.DataFrame, bundled: dict[str, Any], *, floor: float,
                       threads: int = 2, term_frequencies: bool = False) -> TrainedModel:
    """Score the blocked pairs of ``table`` with an already trained model (no training).

    Used for stores too small to train on. The prior (probability that two
    random records match) is rescaled to this store's size: with about the same
    number of records per person, it falls as 1/records (capped at 0.01). Term-frequency
    adjustments are off unless asked for: frequencies counted in a handful of
    records mean nothing.
    """
    import copy

    import duckdb
    from splink import DuckDBAPI, Linker

    _quiet_splink()
    model = copy.deepcopy(bundled["model"])
    lam = float(model["probability_two_random_records_match"])
    scaled = lam * int(bundled["trained_on_records"]) / max(len(table), 2)
    # Capped at 1 in 100: in a store of a few dozen records the rescaled prior would
    # otherwise let agreeing names alone decide.
    model["probability_two_random_records_match"] = min(0.01, max(lam, scaled))
    if not term_frequencies:
        for comp in model["comparisons"]:
            for level in comp["comparison_levels"]:
                level.pop("tf_adjustment_column", None)
                level.pop("tf_adjustment_weight", None)
    model["blocking_rules_to_generate_predictions"] = BLOCKING_RULES
    model["retain_matching_columns"] = True
    model["retain_intermediate_calculation_columns"] = True
    model.pop("linker_uid", None)
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(threads)}")
    db_api = DuckDBAPI(connection=con)
    sdf = db_api.register(table[MODEL_COLUMNS].copy(), table_name="mashgraph_records")
    linker = Linker(sdf, model, log_level=None)
    predictions = linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
    pairs = predictions.as_pandas_dataframe()
    used = linker.misc.save_model_to_json(None)
    con.close()
    return TrainedModel(settings=used, pairs=pairs, recall_of_deterministic_rule=float("nan"))


def _deterministic_recall(con: Any, id_pairs: pd.DataFrame) -> float:
    """Recall of DETERMINISTIC_RULES on identifier-linked pairs, clipped to [0.2, 0.95].

    With no identifier pairs to learn from, 0.6 (a typical share of exact
    name + date-of-birth agreement among true matches in agency extracts).
    """
    if id_pairs.empty:
        return 0.6
    con.register("mashgraph_id_pairs", id_pairs[["l", "r"]])
    rule = DETERMINISTIC_RULES[0]
    found = con.execute(
        "SELECT avg(CASE WHEN " + rule + " THEN 1.0 ELSE 0.0 END) FROM mashgraph_id_pairs p "
        "JOIN mashgraph_records l ON l.unique_id = p.l JOIN mashgraph_records r ON r.unique_id = p.r"
    ).fetchall()[0][0]
    con.unregister("mashgraph_id_pairs")
    if found is None or math.isnan(found):
        return 0.6
    return float(min(0.95, max(0.2, found)))


def _materialise(con: Any, columns: pd.DataFrame) -> None:
    """Copy the linking table into DuckDB once (``mashgraph_all``) and split it into the fresh
    records (``mashgraph_fresh``) and the rest: a registered DataFrame is a view that DuckDB
    converts again on every scan, and blocking scans the table once per rule."""
    con.register("mashgraph_frame", columns)
    con.execute("CREATE TABLE mashgraph_all AS SELECT * FROM mashgraph_frame")
    con.unregister("mashgraph_frame")
    con.execute("CREATE TABLE mashgraph_fresh AS SELECT * FROM mashgraph_all WHERE is_fresh")
    con.execute("CREATE TABLE mashgraph_rest AS SELECT * FROM mashgraph_all WHERE NOT is_fresh")
    for name in ("mashgraph_all", "mashgraph_fresh", "mashgraph_rest"):
        con.execute(f"ALTER TABLE {name} DROP COLUMN is_fresh")


def predict_increment(table: pd.DataFrame, fresh: set[str], model: dict[str, Any], *,
                      floor: float, threads: int = 2) -> pd.DataFrame:
    """Score the pairs of an incremental run with a saved model (no training).

    Only pairs with at least one ``fresh`` (new or changed) record are blocked and
    scored: fresh against the rest (Splink's ``predict_between``) and fresh against
    fresh (``predict_within``). Term frequencies are counted over the whole ``table``,
    as in a full run. Pairs below ``floor`` are dropped.
    """
    import copy

    import duckdb
    from splink import DuckDBAPI, Linker

    _quiet_splink()
    model = copy.deepcopy(model)
    model.update(blocking_rules_to_generate_predictions=BLOCKING_RULES, retain_matching_columns=True,
                 retain_intermediate_calculation_columns=True)
    model.pop("linker_uid", None)
    columns = table[MODEL_COLUMNS]
    is_fresh = columns["unique_id"].isin(fresh)
    columns = columns.assign(is_fresh=is_fresh)
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {int(threads)}")
    _materialise(con, columns)
    db_api = DuckDBAPI(connection=con)
    linker = Linker(db_api.register("mashgraph_all", table_name="mashgraph_records"), model, log_level=None)
    tf_columns = {lv["tf_adjustment_column"] for comp in model["comparisons"]
                  for lv in comp["comparison_levels"] if lv.get("tf_adjustment_column")}
    for column in sorted(tf_columns):
        linker.table_management.compute_tf_table(column)
    new = db_api.register("mashgraph_fresh", table_name="mashgraph_new")
    parts = []
    if (~is_fresh).any():
        old = db_api.register("mashgraph_rest", table_name="mashgraph_existing")
        parts.append(linker.inference.predict_between(
            new, old, threshold_match_probability=floor, warning_mode="never").as_pandas_dataframe())
    if int(is_fresh.sum()) >= 2:
        parts.append(linker.inference.predict_within(
            new, threshold_match_probability=floor, warning_mode="never").as_pandas_dataframe())
    con.close()
    parts = [p for p in parts if not p.empty]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
