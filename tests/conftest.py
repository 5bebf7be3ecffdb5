"""Shared test set-up: markers and the fast subset.

Markers (registered in pyproject.toml):

- ``slow``: about a quarter to half a second of CPU or more (notebooks, report rendering,
  the batch, Monte Carlo, bootstrap, permutation tests, FIML fits, subprocesses, browser and
  database tests, whole-source scans). ``make test-fast`` runs ``-m "not slow"`` (under a
  minute on two cores, in parallel); ``make test`` runs everything. The fast subset keeps
  real tests of every capability (docs/development.md lists them) and the docstring
  examples of every module but two (tests/test_docstrings.py).
- ``browser``: drives Debian's Chromium through Playwright.
- ``postgres``: needs the PostgreSQL server that ``.ci/run`` starts.

The storage fixtures (``db_url``, ``store``: SQLite and PostgreSQL) are defined below with the
helpers of ``store_fixtures``.

Whole files that are slow are marked here (``SLOW_FILES``), so a new test in them is slow
without a decorator; single slow tests are listed in ``SLOW_TESTS`` or carry
``@pytest.mark.slow`` themselves.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import pytest

if TYPE_CHECKING:
    from evalkit.store import Store

matplotlib.use("Agg")

# jsonschema (imported by nbformat) builds three Earley parsers of the optional package
# rfc3987-syntax when it is installed (1-2.5 s of CPU in every test process) for its "iri"
# format checks; nbformat validates without format checks and no schema here uses "iri".
# The tests run without them (jsonschema skips the check when the import fails).
sys.modules.setdefault("rfc3987_syntax", None)

#: Test files whose every test is slow (executing notebooks, rendering reports, browsers ...).
SLOW_FILES = {
    "test_notebooks.py",
    "test_validation_report.py",
    "test_report_content.py",
    "test_batch.py",
    "test_report.py",
    "test_validation_template.py",
    "test_irt.py",
    "test_dif.py",
    "test_montecarlo.py",
    "test_plotting_figures.py",
}

#: Single slow tests, ``file::function`` (every parametrisation) or ``file::function[id]``
#: (that one): the slowest of the fast subset
#: measured with ``pytest -m "not slow" --durations=120`` (December 2026; about half a second
#: of CPU or more each: bootstrap and Monte Carlo coverage, permutation tests, FIML fits,
#: subprocess and portal round trips, scans of the whole source). ``make test`` runs them.
SLOW_TESTS = {
    "test_architecture.py::test_no_module_imports_the_package_root",
    "test_bad_arguments.py::test_bad_argument_raises_clear_error",
    "test_bad_arguments.py::test_targets_can_run_on_their_good_data",
    "test_boundaries.py::test_every_2022_municipality_maps_to_2020_figures",
    "test_cfa.py::test_reference_data_identical_to_semopy",
    "test_cfa.py::test_standard_errors_match_monte_carlo_spread",
    "test_cli_errors.py::test_every_bad_argument_of_every_command_gets_a_dutch_line_not_a_traceback",
    "test_cli_errors.py::test_help_is_dutch_and_english_with_lang_en_or_an_english_locale",
    "test_cli_errors.py::test_known_cases_from_the_issue",
    "test_cli_errors.py::test_report_on_bad_data_shows_the_validation_and_writes_an_error_page",
    "test_cli_errors.py::test_unknown_command_suggests_the_right_one",
    "test_datasets.py::test_all_municipality_codes",
    "test_datasets.py::test_cli_regenerate",
    "test_datasets.py::test_interventions_truth_recovered",
    "test_datasets.py::test_regenerate_writes_identical_files",
    "test_did.py::test_aggregated_se_vs_nonparametric_bootstrap",
    "test_did.py::test_doubly_robust_se_vs_nonparametric_bootstrap",
    "test_did.py::test_event_study_recovers_dynamics",
    "test_did.py::test_monte_carlo_coverage_small",
    "test_did.py::test_result_contract",
    "test_did_weights.py::test_weighted_twfe_and_event_study_match_r_lm",
    "test_funnel.py::test_flags_under_null_have_nominal_rates",
    "test_health_monitor.py::test_shape_and_blanks",
    "test_i18n_catalogue.py::test_cli_keys_built_at_run_time_match_real_commands_and_options",
    "test_i18n_catalogue.py::test_every_key_in_the_catalogue_is_used",
    "test_i18n_catalogue.py::test_every_key_used_exists",
    "test_i18n_catalogue.py::test_no_inline_nl_en_texts",
    "test_i18n_catalogue.py::test_notebook_code_cells_are_read_for_key_uses",
    "test_invariance.py::test_three_groups_equal_lavaan",
    "test_io.py::test_cli_validate_as_subprocess",
    "test_io.py::test_input_files_never_modified",
    "test_meta_knha_permutest.py::test_permutation_test_exact_equals_permutest",
    "test_meta_knha_permutest.py::test_permutation_test_random_is_seeded_and_near_exact",
    "test_meta_moderators.py::test_meta_regression_recovers_known_moderator_effect",
    "test_mlr_fiml.py::test_fiml_alias_ml_and_rows_in_summary",
    "test_mlr_fiml.py::test_fiml_holzinger_equals_lavaan",
    "test_mlr_fiml.py::test_fiml_invariance_equals_lavaan",
    "test_mlr_fiml.py::test_fiml_youth_equals_lavaan",
    "test_mlr_fiml.py::test_mlr_invariance_scaled_difference_equals_lavTestLRT",
    "test_mlr_fiml.py::test_mlr_meanstructure_and_groups_equal_lavaan",
    "test_monitoring.py::test_plots_and_html",
    "test_ordinal.py::test_alpha_delta_se_against_bootstrap",
    "test_package.py::test_console_command_lists_its_subcommands",
    "test_plotting_notebooks.py::test_figures_in_a_notebook_are_shown_with_their_alt_text",
    "test_power.py::test_simulate_reruns_identically_and_fits_at_large_n",
    "test_prepost.py::test_coverage_of_effect_size_intervals",
    "test_prepost_impute.py::test_mar_simulation_small",
    "test_registry.py::test_batch_records_audited_pages",
    "test_report_all_measurements.py::test_rendered_page_passes_the_audit",
    "test_report_monitoring.py::test_blank_young_adults_municipality",
    "test_report_monitoring.py::test_merged_municipality",
    "test_result_contract.py::test_result_contract",
    "test_sem_edge_cases.py::test_4_a_group_of_12_rows_reaches_lavaans_optimum",
    "test_sem_robust.py::test_fiml_invariance_robust_indices_equal_lavaan",
    "test_sem_robust.py::test_fiml_robust_indices_youth_equal_lavaan",
    "test_sem_robust.py::test_score_tests_mlr_fiml_equal_lavTestScore",
    "test_sem_robust.py::test_wlsmv_invariance_robust_indices_equal_lavaan",
    "test_user_terms.py::test_three_template_mistakes_are_reported_at_the_cells_excel_shows",
    "test_user_terms.py::test_wrong_codebook_is_an_error_not_an_all_clear",
    "test_user_terms.py::test_xlsx_renamed_to_xls_is_read_and_unreadable_files_get_one_dutch_error",
    "test_validation_consistency.py::test_bootstrap_coverage_of_true_omega",
    "test_validation_consistency.py::test_bootstrap_is_seeded_and_sensible",
    "test_validation_consistency.py::test_collinear_items_give_clear_warning_not_numpy_noise",
    "test_validation_exploratory.py::test_parallel_analysis_finds_known_number_of_factors",
    "test_validation_exploratory.py::test_parallel_analysis_observed_eigenvalues_match_psych",
    "test_web_hardening.py::test_zip_bomb_refused_without_unpacking",
    "test_web_portal.py::test_analysis_failure_after_a_valid_check_says_what_and_what_to_do",
    "test_web_portal.py::test_csrf_missing_or_wrong_refused",
    "test_web_portal.py::test_failed_or_killed_render_leaves_no_page",
    "test_web_portal.py::test_killed_worker_fails_only_its_own_job",
    "test_web_portal.py::test_local_way_through",
    "test_web_portal.py::test_programme_batch_with_the_comparison_of_all_coalitions",
    "test_web_portal.py::test_refused_files_are_harmless",
    "test_web_portal.py::test_render_time_limit",
    "test_web_portal.py::test_serve_command_starts_local_portal",
    "test_wlsmv.py::test_dispatch_from_cfa_and_invariance",
    "test_wlsmv.py::test_multigroup_and_invariance_equal_lavaan",
    "test_wlsmv.py::test_partial_scalar_frees_the_dif_item",
    "test_wlsmv.py::test_three_groups_youth_invariance_equal_lavaan",
    # measured again with `pytest -m "not slow" -n 2 --dist loadfile --durations=0` (7 December
    # 2026, issue 17): about a quarter to half a second of CPU or more each, while other tests of
    # the same file or capability stay in the fast subset
    "test_did.py::test_twfe_biased_staggered_recovers_truth",
    "test_disclosure.py::test_primary_suppression_matches_acro_threshold_check[counts1]",
    "test_disclosure.py::test_primary_suppression_matches_acro_threshold_check[counts2]",
    "test_disclosure.py::test_primary_suppression_matches_acro_threshold_check[counts3]",
    "test_docstrings.py::test_docstring_examples[evalkit.methods.validation.consistency]",
    "test_docstrings.py::test_docstring_examples[evalkit.methods.validation.exploratory]",
    "test_io_checks.py::test_report_contract_with_pandas_dtypes",
    "test_meta.py::test_effect_sizes_full_numbers_and_bad_input",
    "test_monitoring.py::test_peer_figures_equal_a_pandas_groupby_exactly",
    "test_plotting_formatting.py::test_one_decimal_convention_per_language",
    "test_plotting_notebooks.py::test_offline_export_renders_every_formula_without_outside_requests",
    "test_power.py::test_simulate_invariance_detects_dif",
    "test_prepost_checks.py::test_ids_are_not_mangled_and_row_order_does_not_matter",
    "test_prepost_impute.py::test_seeded_reproducible_and_pmm_values_are_observed",
    "test_prepost_mixed.py::test_engine_agrees_with_statsmodels_mixedlm",
    "test_report_monitoring.py::test_english_page_and_amsterdam_with_weesp",
    "test_result_contract.py::test_plot_is_keyword_only_and_draws_or_says_no_figure[validation.validation_study]",
    "test_risk_groups_example.py::test_deterministic_and_seed_sensitive",
    "test_scales.py::test_djg11_words_equal_codes_for_each_item",
    "test_sem_robust.py::test_fiml_robust_indices_equal_lavaan[MLR]",
    "test_sem_robust.py::test_wlsmv_robust_indices_youth_and_three_point_equal_lavaan",
    "test_validation_exploratory.py::test_result_contract",
    "test_web_portal.py::test_analysis_failure_reasons_in_the_worker",
    "test_web_portal.py::test_delete_on_request",
    "test_web_portal.py::test_programme_overview_and_batch",
    "test_web_portal.py::test_retention_runs_in_the_server",
    "test_web_portal.py::test_throttle_shared_by_server_processes",
    "test_wlsmv.py::test_scalar_level_detects_uniform_dif_as_lavaan",
    "test_wlsmv.py::test_partial_and_score_tests_unsupported_levels_raise_parameter_error",
    "test_xlsx_reader.py::test_reader_gives_the_same_report_with_both_readers",
}

#: Words in a test's file name that make the whole file slow.
SLOW_FILE_WORDS = ("browser", "playwright", "portal_e2e", "load", "montecarlo", "postgres")


def _slow_file(name: str) -> bool:
    return name in SLOW_FILES or any(w in name for w in SLOW_FILE_WORDS)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under ``-m "not slow"`` (make test-fast) the files whose every test is slow are not
    imported at all: every pytest-xdist worker would import them only to deselect them."""
    if (config.option.markexpr or "").split() == ["not", "slow"] and _slow_file(collection_path.name):
        return True
    return None


def pytest_collection_modifyitems(config, items):
    slow = pytest.mark.slow
    for item in items:
        name = item.path.name
        if (
            _slow_file(name)
            or f"{name}::{getattr(item, 'originalname', item.name)}" in SLOW_TESTS
            or f"{name}::{item.name}" in SLOW_TESTS  # one parametrisation
        ):
            item.add_marker(slow)
        if "browser" in item.keywords or "postgres" in item.keywords:
            item.add_marker(slow)


# ------------------------------------------------------------------ storage (SQLite, PostgreSQL)
# Defined here, importing SQLAlchemy and evalkit.store only when a test asks for them
# (the helpers are in store_fixtures.py).
@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    from store_fixtures import database_url

    return database_url(request.param, tmp_path)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    from store_fixtures import FAST_HASHER, KEY

    from evalkit.store import Store

    s = Store(db_url, key=KEY, password_hasher=FAST_HASHER)
    s.upgrade()
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _session_language_is_dutch():
    """Every test starts in Dutch (evalkit.set_language must not leak between tests)."""
    from evalkit.core.language import get_language, set_language

    before = get_language()
    set_language("nl")
    yield
    set_language(before)


@pytest.fixture(autouse=True)
def _close_figures():
    """Close matplotlib figures after each test (memory stays flat over the suite)."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def pytest_report_header(config):
    return f"evalkit tests; CI={os.environ.get('CI', '')!r}; fast subset: make test-fast (-m 'not slow')"
