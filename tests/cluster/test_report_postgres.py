"""make report on the cluster's PostgreSQL tracker store, read through
endpoints.cluster.yml with the PG* settings, as a content owner runs it
there (`make report ENDPOINTS=endpoints.cluster.yml`)."""

import pytest
import sqlalchemy as sa

from reports.__main__ import main
from tests.support.report_data import NOW, SENDERS, SUMMARY, write
from tests.support.servers import ROOT


@pytest.fixture
def seeded(postgres, database, monkeypatch):
    """The known conversations in a database of their own on the tests'
    PostgreSQL, and the cluster profile's settings pointing at it."""
    name = database
    url = sa.engine.URL.create(
        "postgresql", username="postgres", host=postgres.host, port=postgres.port, database=name
    )
    write(sa.create_engine(url))
    for variable, value in {
        "PGHOST": postgres.host,
        "PGPORT": str(postgres.port),
        "PGDATABASE": name,
        "PGUSER": "postgres",
        # The tests' server trusts loopback; the endpoints file still names one.
        "PGPASSWORD": "unused-by-trust-auth",
    }.items():
        monkeypatch.setenv(variable, value)
    return name


def test_the_report_reads_postgresql_with_the_cluster_settings(seeded, tmp_path, capsys):
    out = tmp_path / "report.html"
    argv = ["report", "--endpoints", str(ROOT / "endpoints.cluster.yml"), "--out", str(out)]
    assert main(argv, now=NOW) == 0
    terminal = capsys.readouterr().out
    assert terminal.splitlines()[:6] == SUMMARY
    assert "      2 x  can i print the rota  [fallback]" in terminal
    page = out.read_text()
    assert "I wanted to remove someone who left" in page
    assert "secret question from last year" not in page
    assert not any(sender in page or sender in terminal for sender in SENDERS)


def test_export_unanswered_reads_postgresql_too(seeded, tmp_path):
    out = tmp_path / "unanswered.yml"
    argv = ["export-unanswered", "--endpoints", str(ROOT / "endpoints.cluster.yml")]
    assert main(argv + ["--out", str(out)], now=NOW) == 0
    text = out.read_text()
    assert "- can i print the rota" in text
    assert "- I wanted to remove someone who left" in text
