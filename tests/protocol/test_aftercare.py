from datetime import date

from microneedling.protocol.aftercare import aftercare_sheet
from microneedling.protocol.knowledge import Knowledge


def test_sheet_is_plain_language_with_times_and_disclaimer(knowledge: Knowledge) -> None:
    sheet = aftercare_sheet(
        knowledge, patient_code="MN-1", session_date=date(2026, 3, 2), next_session=date(2026, 4, 1)
    )
    text = sheet.as_text()
    assert "mild sunburn" in text
    assert "make-up for 12 hours" in text
    assert "for 2 days" in text  # 48 h of no heat or exercise
    assert "granulomas" in text
    assert "01 April 2026" in text
    assert "not medical advice" in text
    assert len(sheet.avoid) == len(knowledge.aftercare.avoid)


def test_last_session_has_no_next_date(knowledge: Knowledge) -> None:
    sheet = aftercare_sheet(
        knowledge, patient_code="x", session_date=date(2026, 1, 1), next_session=None
    )
    assert "next session" not in sheet.as_text()
