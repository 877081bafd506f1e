"""The wizard page driven by AppTest: every step forward and back, bad input then good."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from core.db import get_engine
from core.schema import OnboardingSession, Tenant
from core.workflows.onboarding.samples import SAMPLE_MP_TOKEN
from tests.pages.helpers import as_read

ROOT = Path(__file__).resolve().parents[2]
SAVE = "Save and continue"


def open_wizard(query: dict[str, str] | None = None) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params["lang"] = "en"
    for name, value in (query or {}).items():
        app.query_params[name] = value
    app.run()
    app.switch_page("app_pages/onboarding_wizard.py")
    app.run()
    return app


def click(app: AppTest, label: str) -> AppTest:
    next(b for b in app.button if b.label == label).click().run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def step_title(app: AppTest) -> str:
    return app.subheader[0].value


def errors(app: AppTest) -> str:
    return " ".join(as_read(e.value) for e in app.error)


def sid(app: AppTest) -> int:
    value = app.query_params["session"]
    return int(value[0] if isinstance(value, list) else value)


def paste(app: AppTest, step: str, text: str) -> None:
    app.text_area(key=f"s{sid(app)}_{step}_paste").set_value(text)


LOCATIONS = (
    "name;address;province;city;mon;tue;wed;thu;fri;sat;sun\n"
    "Centro;San Martín 120;Córdoba;Córdoba;09:00-20:00;09:00-20:00;09:00-20:00;"
    "09:00-20:00;09:00-20:00;09:00-13:00;\n"
)
STAFF = (
    "name\tlocation\trole\tservices\tmon\ttue\twed\tthu\tfri\tsat\tsun\n"
    "Juan Pérez\tCentro\tbarbero\t*\t10:00-19:00\t10:00-19:00\t10:00-19:00\t10:00-19:00\t"
    "10:00-19:00\t\t\n"
)


def test_every_step_forward_and_back_to_a_live_tenant(console_env):
    app = open_wizard()
    assert not app.exception
    click(app, "Start a new onboarding")
    number = sid(app)
    assert step_title(app) == "1. Business"

    # Business: a CUIT with a wrong check digit, then fixed.
    key = f"s{number}_business"
    app.text_input(key=f"{key}_legal_name").input("Barbería Roca S.R.L.")
    app.text_input(key=f"{key}_trade_name").input("Barbería Roca")
    app.text_input(key=f"{key}_cuit").input("30-71234567-2")
    app.selectbox(key=f"{key}_tax_status").select("Responsable Inscripto")
    app.selectbox(key=f"{key}_legal_form").select("srl")
    app.selectbox(key=f"{key}_vertical").select("barbershop")
    app.selectbox(key=f"{key}_plan").select("profesional")
    app.selectbox(key=f"{key}_tier").select("pro")
    click(app, SAVE)
    assert "check digit" in errors(app) and step_title(app) == "1. Business"
    app.text_input(key=f"{key}_cuit").input("30-71234567-1")
    click(app, SAVE)
    assert step_title(app) == "2. Contact"

    # Contact: a bad e-mail, then good.
    key = f"s{number}_contact"
    app.text_input(key=f"{key}_owner").input("Lucía Roca")
    app.text_input(key=f"{key}_email").input("lucia@@roca")
    app.text_input(key=f"{key}_phone").input("0351 15 423-4567")
    click(app, SAVE)
    assert "email address" in errors(app) and step_title(app) == "2. Contact"
    app.text_input(key=f"{key}_email").input("lucia@barberiaroca.com.ar")
    click(app, SAVE)
    assert step_title(app) == "3. Locations"

    # Back to business: what was typed is still there; forward again via the stepper.
    click(app, "Back")
    assert step_title(app) == "2. Contact"
    assert app.text_input(key=f"{key}_email").value == "lucia@barberiaroca.com.ar"
    click(app, "Back")
    assert step_title(app) == "1. Business"
    assert app.text_input(key=f"s{number}_business_cuit").value == "30-71234567-1"
    app.button(key="goto_locations").click().run()
    assert step_title(app) == "3. Locations"

    # Locations: the empty table is refused; pasted rows are taken.
    click(app, SAVE)
    assert "at least one location" in errors(app) and step_title(app) == "3. Locations"
    paste(app, "locations", LOCATIONS)
    click(app, SAVE)
    assert step_title(app) == "4. Opening hours"

    # Opening hours: a closing time before opening, then the table's defaults.
    paste(app, "hours", LOCATIONS.replace("09:00-13:00", "13:00-09:00"))
    click(app, SAVE)
    assert "Saturday" in errors(app) and step_title(app) == "4. Opening hours"
    paste(app, "hours", "")
    click(app, SAVE)
    assert step_title(app) == "5. Services"

    # Services: a duration that is not a multiple of 5, then the vertical's template.
    paste(app, "services", "name,category,duration_min,price_ars\nCorte,corte,33,12000\n")
    click(app, SAVE)
    assert "5 minutes" in errors(app) and step_title(app) == "5. Services"
    paste(app, "services", "")
    click(app, SAVE)
    assert step_title(app) == "6. Staff"

    # Staff: nobody named and no services, then one barber who does everything.
    click(app, SAVE)
    assert errors(app) and step_title(app) == "6. Staff"
    paste(app, "staff", STAFF)
    click(app, SAVE)
    assert step_title(app) == "7. Integrations"

    # Integrations: MercadoPago on with a malformed token, then a good one.
    key = f"s{number}_integrations"
    app.toggle(key=f"{key}_mp").set_value(True)
    app.text_input(key=f"{key}_mp_token").input("not-a-token")
    app.text_input(key=f"{key}_mp_email").input("pagos@barberiaroca.com.ar")
    click(app, SAVE)
    assert "access token" in errors(app) and step_title(app) == "7. Integrations"
    app.text_input(key=f"{key}_mp_token").input(SAMPLE_MP_TOKEN)
    click(app, SAVE)
    assert step_title(app) == "8. Review and verification"

    click(app, "Run verification")
    assert any("approved automatically" in s.value for s in app.success)
    assert step_title(app) == "9. Activation"
    click(app, "Back")
    assert step_title(app) == "8. Review and verification"
    assert any("approved automatically" in s.value for s in app.success)
    click(app, "Continue to activation")
    assert step_title(app) == "9. Activation"
    click(app, "Activate tenant")
    assert any("is live as tenant" in s.value for s in app.success), [s.value for s in app.success]

    with Session(get_engine(console_env)) as session:
        row = session.get(OnboardingSession, number)
        tenant = session.scalars(select(Tenant).where(Tenant.cuit == "30-71234567-1")).one()
    assert (row.status, row.tenant_id) == ("activated", tenant.id)
    assert tenant.trade_name == "Barbería Roca" and tenant.phone == "+5493514234567"


def test_a_reload_resumes_at_the_saved_step(console_env):
    app = open_wizard()
    click(app, "Start a new onboarding")
    number = sid(app)
    fresh = open_wizard({"session": str(number)})  # a new browser session, same URL
    assert step_title(fresh) == "1. Business"
    assert f"#{number}" in fresh.markdown[0].value


@pytest.mark.parametrize("value", ["abc", "999999"])
def test_a_bad_session_link_gets_one_clear_message(console_env, value):
    app = open_wizard({"session": value})
    assert not app.exception
    assert len(app.error) == 1


def test_spanish_messages_by_default(console_env):
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.run()
    app.switch_page("app_pages/onboarding_wizard.py")
    app.run()
    app.button[0].click().run()  # "Start a new onboarding", in Spanish once translated
    number = sid(app)
    app.text_input(key=f"s{number}_business_cuit").input("30-71234567-2")
    next(b for b in app.button if b.label in (SAVE, "Guardar y continuar")).click().run()
    assert "dígito verificador" in errors(app)


def test_a_save_from_a_stale_tab_is_refused(console_env):
    from bench.onboarding import operator
    from core.commands import execute
    from core.workflows.onboarding.drafts import EnterStep, SubmitStep
    from core.workflows.onboarding.samples import clean_steps

    app = open_wizard()
    click(app, "Start a new onboarding")
    number, key = sid(app), f"s{sid(app)}_business"
    # This tab shows the empty business form; another tab saves the step meanwhile, and
    # goes back to it (both tabs are on the business step again).
    engine = get_engine()
    with Session(engine) as session:
        shown = session.get(OnboardingSession, number).version  # type: ignore[union-attr]
    other = {**clean_steps()["business"], "trade_name": "Guardado en otra pestaña"}
    for command in (
        SubmitStep(number, "business", other, locale="en", expected_version=shown),
        EnterStep(number, "business", locale="en"),
    ):
        execute(command, actor=operator(engine), engine=engine)
    app.text_input(key=f"{key}_legal_name").input("Barbería Roca S.R.L.")
    app.text_input(key=f"{key}_trade_name").input("Barbería Roca")
    app.text_input(key=f"{key}_cuit").input("30-71234567-1")
    app.selectbox(key=f"{key}_tax_status").select("Responsable Inscripto")
    app.selectbox(key=f"{key}_legal_form").select("srl")
    app.selectbox(key=f"{key}_vertical").select("barbershop")
    app.selectbox(key=f"{key}_plan").select("profesional")
    app.selectbox(key=f"{key}_tier").select("pro")
    click(app, SAVE)
    assert "This changed in another window; reload to see the latest." in errors(app)
    with Session(engine) as session:
        row = session.get(OnboardingSession, number)
        assert row is not None and row.version == shown + 1  # only the other tab's save
        assert row.business_name == row.draft["business"]["trade_name"] == other["trade_name"]
