"""core.documents pauses Python's cycle collector while WeasyPrint lays a document out (a large
report leaves tens of thousands of objects in cycles, which would set off full collections
mid-render) and gives it back as it found it, whatever happens."""

import gc

import pytest

from core import documents


def test_the_collector_is_paused_during_a_render_and_back_after_it():
    assert gc.isenabled()
    seen = []
    assert documents._collector_paused(lambda: seen.append(gc.isenabled()) or "pdf") == "pdf"
    assert seen == [False] and gc.isenabled()


def test_a_failing_render_gives_the_collector_back():
    def fails():
        raise RuntimeError("layout failed")

    with pytest.raises(RuntimeError):
        documents._collector_paused(fails)
    assert gc.isenabled()


def test_a_process_that_switched_the_collector_off_keeps_it_off():
    gc.disable()
    try:
        documents._collector_paused(lambda: None)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_real_render_leaves_the_collector_on():
    pdf, pages = documents.html_to_pdf("<html><body><p>测试</p></body></html>", pdf_variant="")
    assert pdf.startswith(b"%PDF") and pages == 1 and gc.isenabled()
