"""The content file's checks: each slip a content owner could make is named
with its line and YAML path, and all of them are reported together.

Each broken file is the real content file with one slip typed into it, so the
lines are the file's own."""

import re
from typing import List, Tuple

import pytest
import yaml

from actions.config import CONTENT_PATH
from actions.content import ContentError, load_content_file
from actions.content_check import Problem, check_content_file, check_text

SHOWN = "content/nhsmail.yml"
TEXT = CONTENT_PATH.read_text(encoding="utf-8")
RAW = yaml.safe_load(TEXT)


def line_number(text: str, pattern: str, after: str = "") -> int:
    """The line (from 1) of the first line matching ``pattern``, after the
    first line matching ``after`` if given."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if re.search(after, line)) + 1 if after else 0
    return next(i for i, line in enumerate(lines[start:], start) if re.search(pattern, line)) + 1


def retype(line: int, old: str, new: str, text: str = TEXT) -> str:
    """``text`` with ``old`` changed to ``new`` on ``line`` alone."""
    lines = text.splitlines(keepends=True)
    assert old in lines[line - 1], (line, lines[line - 1])
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    return "".join(lines)


def delete(line: int, text: str = TEXT) -> str:
    lines = text.splitlines(keepends=True)
    del lines[line - 1]
    return "".join(lines)


def found(text: str) -> List[Tuple[int, str, str]]:
    return [(p.line, p.path, p.message) for p in check_text(text, SHOWN)]


def test_the_content_file_has_no_problem():
    assert check_content_file(CONTENT_PATH) == []
    assert load_content_file(CONTENT_PATH).topics


def test_a_problem_reads_file_line_path_and_what_is_wrong():
    problem = Problem("topics.reset_password.offer.topic", "'x' is not a topic", 117, SHOWN)
    assert (
        str(problem)
        == "content/nhsmail.yml:117: topics.reset_password.offer.topic: 'x' is not a topic"
    )


def test_a_missing_fact_is_named_and_so_is_every_line_that_uses_it():
    fact = line_number(TEXT, r"^  helpdesk_email:")
    text = delete(fact)
    uses = [n for n, line in enumerate(text.splitlines(), 1) if "{helpdesk_email}" in line]
    problems = found(text)
    assert problems[0] == (line_number(text, r"^facts:"), "facts.helpdesk_email", "missing")
    assert [line for line, _, _ in problems[1:]] == uses and len(uses) >= 2
    assert {message for _, _, message in problems[1:]} == {"unknown placeholder {helpdesk_email}"}
    assert (
        line_number(text, r"^  unavailable:"),
        "messages.unavailable",
        "unknown placeholder {helpdesk_email}",
    ) in problems


def test_an_unknown_placeholder_in_a_message_names_its_line():
    line = line_number(TEXT, r"^  unavailable:")
    text = retype(line, "{helpdesk_phone}", "{helpdesk_fax}")
    assert found(text) == [(line, "messages.unavailable", "unknown placeholder {helpdesk_fax}")]


def test_an_unknown_placeholder_in_a_list_names_the_item():
    step = next(i for i, s in enumerate(RAW["manager_route"]["steps"]) if "{ods_code_format}" in s)
    line = line_number(TEXT, r"\{ods_code_format\}", after=r"^manager_route:")
    text = retype(line, "{ods_code_format}", "{ods_format}")
    assert found(text) == [
        (line, f"manager_route.steps[{step}]", "unknown placeholder {ods_format}")
    ]


def test_an_offer_naming_an_unknown_topic_names_the_offers_topic():
    offered = RAW["topics"]["reset_password"]["offer"]["topic"]
    line = line_number(TEXT, r"^\s+offer:", after=r"^  reset_password:")
    text = retype(line, f"topic: {offered}", "topic: prepare_cal")
    assert found(text) == [
        (line, "topics.reset_password.offer.topic", "'prepare_cal' is not a topic")
    ]


def test_a_bad_review_date_names_the_date():
    line = line_number(TEXT, r"^\s+reviewed:", after=r"^phone_menu:")
    text = retype(line, "reviewed: ", "reviewed: last year #")
    assert found(text) == [(line, "phone_menu.reviewed", "must be a date (YYYY-MM-DD)")]


def test_a_facts_unknown_source_and_bad_date_are_both_on_its_line():
    line = line_number(TEXT, r"^  helpdesk_phone:")
    text = retype(line, "source: guide", "source: somewhere")
    text = re.sub(r'(?m)^(  helpdesk_phone:.*reviewed: )"[^"]*"', r'\1"24/11/2026"', text)
    assert found(text) == [
        (line, "facts.helpdesk_phone.source", "'somewhere' is not in sources"),
        (line, "facts.helpdesk_phone.reviewed", "must be a date (YYYY-MM-DD)"),
    ]


def test_a_missing_required_message_is_named_where_the_messages_are():
    text = delete(line_number(TEXT, r"^  rate_limited:"))
    assert found(text) == [(line_number(text, r"^messages:"), "messages.rate_limited", "missing")]


def test_a_missing_topic_and_the_list_that_names_it_are_both_reported():
    text = retype(line_number(TEXT, r"^  local_team:"), "local_team:", "local_teams:")
    position = RAW["scope_topics"].index("local_team")
    assert found(text) == [
        (line_number(text, r"^topics:"), "topics.local_team", "missing"),
        (
            line_number(text, r"^scope_topics:"),
            f"scope_topics[{position}]",
            "'local_team' is not a topic",
        ),
    ]


def test_an_unknown_block_names_the_answers_part():
    part = next(
        i
        for i, p in enumerate(RAW["topics"]["reset_password"]["answer"])
        if isinstance(p, dict) and p["block"] == "menu_path"
    )
    line = line_number(TEXT, r"block: menu_path", after=r"^  reset_password:")
    text = retype(line, "block: menu_path", "block: menu_paths")
    assert found(text) == [
        (line, f"topics.reset_password.answer[{part}].block", "unknown block 'menu_paths'")
    ]


def test_a_followup_without_a_payload_names_the_button():
    line = line_number(TEXT, r"^\s+- \{title:", after=r"^  add_user:")
    text = retype(line, 'payload: "/', 'payload: "')
    assert found(text) == [(line, "topics.add_user.followups[0]", "needs a title and a /payload")]


def test_a_single_source_cited_without_a_list_is_refused():
    [cited] = RAW["topics"]["helpdesk_mfa"]["cite"]
    line = line_number(TEXT, r"^\s+cite:", after=r"^  helpdesk_mfa:")
    text = retype(line, f"cite: [{cited}]", f"cite: {cited}")
    assert found(text) == [(line, "topics.helpdesk_mfa.cite", "expected a list of sources")]


def test_a_duplicated_key_is_refused_where_it_is_typed_again():
    first = line_number(TEXT, r"^  helpdesk_phone:")
    lines = TEXT.splitlines(keepends=True)
    text = "".join(lines[:first] + [lines[first - 1]] + lines[first:])
    [(line, path, message)] = found(text)
    assert line == first + 1 and path == ""
    assert message == f"facts.helpdesk_phone: duplicated key (first on line {first})"


def test_a_yaml_slip_names_its_line():
    line = line_number(TEXT, r"^  unavailable:")
    text = retype(line, "unavailable: ", "unavailable: [")
    # YAML notices the missing "]" on the next line, and says where the list began.
    [(at, path, message)] = found(text)
    assert (at, path) == (line + 1, "")
    assert message.endswith(f"(while parsing a flow sequence, which starts on line {line})")


def test_every_slip_is_reported_at_once_in_one_error_in_the_files_order(tmp_path):
    offer = line_number(TEXT, r"^\s+offer:", after=r"^  reset_password:")
    date = line_number(TEXT, r"^\s+reviewed:", after=r"^phone_menu:")
    message = line_number(TEXT, r"^  unavailable:")
    text = retype(offer, "topic: prepare_call", "topic: prepare_cal")
    text = retype(date, "reviewed: ", "reviewed: soon #", text)
    text = retype(message, "{helpdesk_phone}", "{helpdesk_fax}", text)
    broken = tmp_path / "nhsmail.yml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_content_file(broken)
    assert [p.line for p in error.value.problems] == [date, offer, message]
    assert str(error.value).splitlines() == [
        "content file problems:",
        f"{broken}:{date}: phone_menu.reviewed: must be a date (YYYY-MM-DD)",
        f"{broken}:{offer}: topics.reset_password.offer.topic: 'prepare_cal' is not a topic",
        f"{broken}:{message}: messages.unavailable: unknown placeholder {{helpdesk_fax}}",
    ]


def test_a_file_that_cannot_be_read_is_one_problem(tmp_path):
    [problem] = check_content_file(tmp_path / "missing.yml")
    assert "cannot read the content file" in problem.message


def test_every_fact_the_code_itself_names_is_required():
    """A fact named in guidance.py's own lines cannot be deleted from the file
    without the check saying so."""
    import string
    from pathlib import Path

    from actions import guidance
    from actions.content_check import REQUIRED_FACTS

    source = Path(guidance.__file__).read_text(encoding="utf-8")
    templates = re.findall(r'\.fill\("([^"]*)"\)', source)
    named = {
        field
        for template in templates
        for _, field, _, _ in string.Formatter().parse(template)
        if field
    }
    assert named and named <= set(REQUIRED_FACTS)


# --- the accessibility statement's section ------------------------------------------


@pytest.mark.parametrize("name", ["contact_email", "contact_phone", "organisation"])
def test_a_statement_without_its_contact_is_named_where_the_section_is(name):
    text = delete(line_number(TEXT, rf"^  {name}:", after=r"^accessibility:"))
    assert found(text) == [
        (line_number(text, r"^accessibility:"), f"accessibility.{name}", "missing")
    ]


def test_a_content_file_without_the_statement_section_says_so(tmp_path):
    start = line_number(TEXT, r"^accessibility:")
    lines = TEXT.splitlines(keepends=True)
    # The section's lines (its comment stays): up to the next top-level key or the end.
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("  ")), len(lines))
    text = "".join(lines[: start - 1] + lines[end:])
    assert "accessibility" not in yaml.safe_load(text) and "  advisory_service:" not in text
    # A missing section is reported where the file's first key is.
    assert found(text) == [(line_number(text, r"^schema_version:"), "accessibility", "missing")]
    broken = tmp_path / "nhsmail.yml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError, match="accessibility: missing"):
        load_content_file(broken)


def test_a_contact_that_is_not_an_email_or_a_phone_number_names_its_line():
    email = line_number(TEXT, r"^  contact_email:")
    phone = line_number(TEXT, r"^  contact_phone:")
    address = RAW["accessibility"]["contact_email"]["value"]
    number = RAW["accessibility"]["contact_phone"]["value"]
    text = retype(email, address, address.replace("@", " at "))
    text = retype(phone, number, "ask at reception", text)
    assert found(text) == [
        (
            email,
            "accessibility.contact_email.value",
            f"{address.replace('@', ' at ')!r} is not an email address",
        ),
        (
            phone,
            "accessibility.contact_phone.value",
            "'ask at reception' is not a phone number (digits and spaces)",
        ),
    ]


def test_the_statements_contact_needs_a_source_and_a_review_date_like_every_fact():
    line = line_number(TEXT, r"^  contact_email:")
    text = retype(line, "source: guide", "source: somewhere")
    text = re.sub(r'(?m)^(  contact_email:.*reviewed: )"[^"]*"', r'\1"soon"', text)
    assert found(text) == [
        (line, "accessibility.contact_email.source", "'somewhere' is not in sources"),
        (line, "accessibility.contact_email.reviewed", "must be a date (YYYY-MM-DD)"),
    ]


def test_the_statements_review_date_and_linked_sources_are_checked():
    reviewed = line_number(TEXT, r"^  reviewed:", after=r"^accessibility:")
    advisory = line_number(TEXT, r"^  advisory_service:")
    text = retype(reviewed, "reviewed: ", "reviewed: last week #")
    text = retype(advisory, "advisory_service: eass", "advisory_service: guide", text)
    assert found(text) == [
        (
            reviewed,
            "accessibility.reviewed",
            "must be a date (YYYY-MM-DD): the day the statement was last reviewed",
        ),
        (advisory, "accessibility.advisory_service", "'guide' is not a source with a url"),
    ]


# --- the provider's contacts for visitors ---------------------------------------------


def test_a_providers_contact_in_the_wrong_form_names_its_line():
    contacts = RAW["provider_contact"]
    phone = line_number(TEXT, r"^  phone:", after=r"^provider_contact:")
    jobs = line_number(TEXT, r"^  jobs_url:", after=r"^provider_contact:")
    text = retype(phone, contacts["phone"]["value"], "ring reception")
    text = retype(jobs, contacts["jobs_url"]["value"], "www.care-provider.example/jobs", text)
    assert found(text) == [
        (
            phone,
            "provider_contact.phone.value",
            "'ring reception' is not a phone number (digits and spaces)",
        ),
        (
            jobs,
            "provider_contact.jobs_url.value",
            "'www.care-provider.example/jobs' is not an https link",
        ),
    ]


def test_a_provider_with_one_home_may_leave_out_find_your_home_but_not_its_phone():
    start = r"^provider_contact:"
    text = delete(line_number(TEXT, r"^  find_home_url:", after=start))
    assert found(text) == []
    text = delete(line_number(text, r"^  phone:", after=start), text)
    assert found(text) == [(line_number(text, start), "provider_contact.phone", "missing")]
