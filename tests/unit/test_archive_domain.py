"""The archive's pure rules: classification, levels, numbers, the chain, deadlines, files."""
import io
from datetime import date

import pytest

from contracts.errors import Forbidden, InvalidInput
from infra.filestore import FileStore, check_type
from infra.working_calendar import WorkingCalendar
from services.archive import domain

CAL = WorkingCalendar(uncovered="weekdays")


def test_events_fall_into_the_seed_categories_and_groups():
    assert domain.event_category("transactions.subscription_signed") == "sales"
    assert domain.event_category("transactions.contract_signed") == "signing"
    assert domain.event_category("transactions.contract_filed") == "title"
    assert domain.event_category("complaints.complaint_filed") == "compensation"
    assert domain.event_group("transactions.deposit_forfeited", "sales") == "sales_history"
    assert set(domain.GROUP_OF_CATEGORY) == set(domain.CATEGORIES)
    assert len(domain.GROUPS) == 6


def test_documents_default_to_level_c_permanent_and_paper_needs_a_place():
    doc = domain.check_document("unit", {"category": "repair", "carrier": "photo"}, "archivist")
    assert (doc["group"], doc["security_level"], doc["retention"]) == \
        ("repair_compensation", "C", "permanent")
    with pytest.raises(InvalidInput) as paper:
        domain.check_document("unit", {"category": "sales", "carrier": "paper"}, "archivist")
    assert "storage_location" in paper.value.details
    with pytest.raises(InvalidInput):
        domain.check_document("unit", {"category": "sales", "carrier": "photo",
                                       "retention": "10_years"}, "archivist")
    assert domain.check_document("project", {"category": "other", "carrier": "photo",
                                             "retention": "10_years"}, "archivist")
    with pytest.raises(Forbidden):
        domain.check_document("unit", {"category": "sales", "carrier": "photo",
                                       "security_level": "A"}, "archivist")
    assert not domain.may_see("sales_manager", "B") and domain.may_see("legal", "B")


def test_unit_dossiers_are_numbered_by_the_units_name():
    assert domain.unit_dossier_number("牡丹苑", "3栋", "2单元", "1502") == "牡丹苑-3栋-2单元-1502"
    with pytest.raises(InvalidInput):
        domain.unit_dossier_number("牡丹苑", "", "2单元", "1502")


def test_the_chain_finds_a_changed_record_a_missing_link_and_a_changed_file():
    records, links, prev = {}, [], domain.GENESIS
    for seq in (1, 2, 3):
        record = {"id": seq, "title": f"doc {seq}", "file_digest": "ab" * 32 if seq == 2 else None}
        entry = domain.digest(domain.canonical(record), "sm3")
        h = domain.link_hash(prev, 9, seq, "document", seq, entry, "sm3")
        links.append(domain.Link(seq, "document", seq, entry, prev, h, "sm3"))
        records[("document", seq)] = record
        prev = h
    assert domain.verify_chain(9, links, records, {"ab" * 32: "ab" * 32}) == []
    changed = {**records, ("document", 1): {**records[("document", 1)], "title": "x"}}
    assert [p["problem"] for p in domain.verify_chain(9, links, changed, None)] == \
        ["the record was changed"]
    problems = domain.verify_chain(9, [links[0], links[2]], records, {"ab" * 32: "ab" * 32})
    assert "link 2 is missing" in [p["problem"] for p in problems]
    assert [p["problem"] for p in domain.verify_chain(9, links, records, {"ab" * 32: None})] == \
        ["the stored file is gone"]


def test_handover_deadlines_follow_the_seed_on_the_working_calendar():
    # subscription on Friday 2026-09-25; National Day week off: five working days later
    assert domain.handover_due("five_working_days", date(2026, 9, 25), None, CAL) == \
        CAL.add_working_days(date(2026, 9, 25), 5)
    assert domain.handover_due("after_move_in", date(2026, 3, 1), None, CAL) is None
    assert domain.handover_due("after_move_in", date(2026, 3, 1), date(2026, 4, 15), CAL) == \
        date(2026, 5, 15)
    assert domain.handover_due("after_move_in", date(2026, 8, 1), date(2026, 4, 15), CAL) == \
        date(2026, 9, 30)
    assert domain.handover_due("half_year", date(2026, 2, 3), None, CAL) == date(2026, 6, 30)
    items = domain.completeness({"transactions.subscription_signed": date(2026, 11, 2)}, {},
                                None, date(2026, 11, 20), CAL)
    assert [(i["kind"], i["status"], i["department"]) for i in items] == [
        ("subscription_agreement", "overdue", "sales")]


def test_inspection_periods_are_half_years():
    domain.check_period("2026H2", date(2026, 12, 1))
    for period, day in (("2026H3", date(2026, 12, 1)), ("2026H1", date(2026, 7, 1))):
        with pytest.raises(InvalidInput):
            domain.check_period(period, day)


def test_files_are_type_checked_capped_and_stored_once(tmp_path):
    store = FileStore(f"file://{tmp_path}")
    pdf = b"%PDF-1.4\n" + b"x" * 200_000
    first = store.put_stream(io.BytesIO(pdf).read, "application/pdf", 10**6)
    again = store.put_stream(io.BytesIO(pdf).read, "application/pdf; charset=binary", 10**6)
    assert first.digest == again.digest and not again.created
    assert store.all_digests() == [first.digest]
    with pytest.raises(InvalidInput):
        store.put_stream(io.BytesIO(pdf).read, "application/pdf", 100_000)
    with pytest.raises(InvalidInput):
        check_type("application/x-msdownload", b"MZ")
    with pytest.raises(InvalidInput):
        check_type("image/png", b"%PDF-1.4")
    assert not list((tmp_path / "incoming").iterdir())  # nothing half-written stays


def test_no_rpc_and_no_route_changes_or_removes_an_archive_record():
    from nameko.rpc import Rpc
    from gateway.routes import ARCHIVE_ROUTES
    from services.archive.service import ArchiveService
    rpcs = {name for name, member in vars(ArchiveService).items()
            if any(isinstance(e, Rpc) for e in getattr(member, "nameko_entrypoints", ()))}
    assert {"read_dossier", "file_document", "export_dossier"} <= rpcs
    assert not [name for name in rpcs
                if name.split("_")[0] in ("update", "delete", "remove", "edit", "change",
                                          "replace", "purge", "destroy")]
    assert {route.method for route in ARCHIVE_ROUTES} == {"GET", "POST"}


def test_an_upload_is_read_a_chunk_at_a_time(tmp_path):
    from infra.filestore import CHUNK
    body = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"p" * (5 * CHUNK))
    asked = []

    def read(n):
        asked.append(n)
        return body.read(n)
    stored = FileStore(f"file://{tmp_path}").put_stream(read, "image/png", 10**7)
    assert stored.size == 5 * CHUNK + 8 and stored.media_type == "image/png"
    assert set(asked) == {CHUNK} and len(asked) == 7  # six chunks and the empty end
