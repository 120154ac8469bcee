import pytest
from django.core.exceptions import ValidationError

from portolan.portfolio import services
from tests.conftest import last_audit
from tests.factories import InitiativeFactory


@pytest.mark.django_db
def test_dependency_closing_a_cycle_is_refused_naming_the_cycle(cli_ctx):
    a, b, c = InitiativeFactory(key="A-1"), InitiativeFactory(key="B-1"), InitiativeFactory(key="C-1")
    services.add_dependency(cli_ctx, {"predecessor": a, "successor": b})
    services.add_dependency(cli_ctx, {"predecessor": b, "successor": c})
    with pytest.raises(ValidationError) as exc:
        services.add_dependency(cli_ctx, {"predecessor": c, "successor": a})
    assert "C-1 → A-1 → B-1 → C-1" in str(exc.value)
    assert last_audit().object_repr.startswith("B-1")
