import pytest

from microneedling.core.clinical import ScreeningOutcome
from microneedling.core.errors import ContraindicatedError, ValidationError
from microneedling.protocol.knowledge import Knowledge
from microneedling.protocol.screening import ensure_treatable, evaluate_screening


def all_no(knowledge: Knowledge) -> dict[str, bool]:
    return {c.code: False for c in knowledge.contraindications}


def test_all_no_is_clear(knowledge: Knowledge) -> None:
    result = evaluate_screening(all_no(knowledge), knowledge)
    assert result.outcome is ScreeningOutcome.CLEAR
    assert result.findings == ()


def test_relative_and_absolute(knowledge: Knowledge) -> None:
    answers = all_no(knowledge) | {"keloid_tendency": True}
    assert evaluate_screening(answers, knowledge).outcome is ScreeningOutcome.RELATIVE
    answers |= {"herpes_outbreak": True}
    result = evaluate_screening(answers, knowledge)
    assert result.outcome is ScreeningOutcome.ABSOLUTE
    assert [f.code for f in result.absolute] == ["herpes_outbreak"]
    assert [f.code for f in result.relative] == ["keloid_tendency"]
    assert "spread" in result.absolute[0].reason


def test_unanswered_questions_are_named(knowledge: Knowledge) -> None:
    answers = all_no(knowledge)
    del answers["pregnancy"]
    with pytest.raises(ValidationError, match="missing: pregnancy"):
        evaluate_screening(answers, knowledge)


def test_unknown_code_is_named(knowledge: Knowledge) -> None:
    with pytest.raises(ValidationError) as err:
        evaluate_screening(all_no(knowledge) | {"vampire": True}, knowledge)
    assert err.value.field == "answers.vampire"


def test_gate() -> None:
    ensure_treatable(ScreeningOutcome.CLEAR, (), acknowledged=False)
    ensure_treatable(ScreeningOutcome.RELATIVE, ("diabetes",), acknowledged=True)
    with pytest.raises(ContraindicatedError, match="acknowledge"):
        ensure_treatable(ScreeningOutcome.RELATIVE, ("diabetes",), acknowledged=False)
    with pytest.raises(ContraindicatedError, match="absolute contraindication"):
        ensure_treatable(ScreeningOutcome.ABSOLUTE, ("isotretinoin",), acknowledged=True)
