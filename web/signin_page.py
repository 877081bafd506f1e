"""The sign-in form: a small HTML page in the user's language, every value escaped."""

from __future__ import annotations

from html import escape

from core.i18n import N_, gettext

_PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>
  body {{ font-family: "Source Sans Pro", system-ui, sans-serif; background: #f6f7f9;
         color: #262730; margin: 0; display: flex; min-height: 100vh;
         align-items: center; justify-content: center; }}
  main {{ background: #fff; padding: 2.5rem 2.75rem; border-radius: 0.75rem;
         box-shadow: 0 2px 14px rgba(0,0,0,.08); width: 22rem; }}
  h1 {{ font-size: 1.35rem; margin: 0 0 .25rem; }}
  p.lead {{ margin: 0 0 1.5rem; color: #5c5f6a; }}
  label {{ display: block; font-weight: 600; margin: 1rem 0 .35rem; }}
  input[type=email], input[type=password] {{ width: 100%; box-sizing: border-box;
         padding: .6rem .7rem; border: 1px solid #c9ccd3; border-radius: .4rem;
         font-size: 1rem; }}
  button {{ margin-top: 1.5rem; width: 100%; padding: .7rem; font-size: 1rem;
         font-weight: 600; color: #fff; background: #ff4b4b; border: 0;
         border-radius: .4rem; cursor: pointer; }}
  .error {{ background: #fdecec; color: #7d1a1a; padding: .75rem; border-radius: .4rem;
         margin-bottom: 1rem; }}
  .note {{ background: #eef4fd; color: #1b4a85; padding: .75rem; border-radius: .4rem;
         margin-bottom: 1rem; }}
  .sso {{ display: block; text-align: center; margin-top: 1rem; }}
  nav {{ margin-top: 1.25rem; font-size: .9rem; text-align: center; }}
</style>
</head>
<body>
<main>
<h1>✂️ BarberPro Command Center</h1>
<p class="lead">{lead}</p>
{message}
<form method="post" action="/auth/login">
  <input type="hidden" name="csrf" value="{csrf}">
  <input type="hidden" name="next" value="{next}">
  <input type="hidden" name="lang" value="{lang_value}">
  <label for="email">{email_label}</label>
  <input id="email" name="email" type="email" autocomplete="username" required autofocus
         value="{email}" maxlength="160">
  <label for="password">{password_label}</label>
  <input id="password" name="password" type="password" autocomplete="current-password"
         required maxlength="1024">
  <button type="submit">{button}</button>
</form>
{sso}
<nav>{languages}</nav>
</main>
</body>
</html>
"""

TITLE = N_("Sign in")
LEAD = N_("Sign in with your BarberPro account to continue.")
EMAIL = N_("Email")
PASSWORD = N_("Password")
BUTTON = N_("Sign in")
SIGNED_OUT = N_("You are signed out.")
EXPIRED = N_("Your session ended. Sign in again to continue.")
SSO = N_("Sign in with your company account")
FORM_EXPIRED = N_("The form expired. Sign in again.")


def render(
    *,
    locale: str,
    csrf: str,
    next_path: str,
    email: str = "",
    error: str | None = None,
    note: str | None = None,
    sso_url: str | None = None,
) -> str:
    """The form's HTML; ``error`` and ``note`` are already translated sentences."""

    def t(msgid: str) -> str:
        return gettext(msgid, locale)

    message = ""
    if error:
        message = f'<div class="error" role="alert">{escape(error)}</div>'
    elif note:
        message = f'<div class="note" role="status">{escape(note)}</div>'
    sso = f'<a class="sso" href="{escape(sso_url)}">{escape(t(SSO))}</a>' if sso_url else ""
    other = "en" if locale.startswith("es") else "es_AR"
    label = "English" if other == "en" else "Español"
    languages = f'<a href="/signin?lang={other}&amp;next={escape(_quoted(next_path))}">{label}</a>'
    return _PAGE.format(
        lang="es" if locale.startswith("es") else "en",
        lang_value=escape(locale),
        title=escape(f"{t(TITLE)} · BarberPro Command Center"),
        lead=escape(t(LEAD)),
        message=message,
        csrf=escape(csrf),
        next=escape(next_path),
        email=escape(email),
        email_label=escape(t(EMAIL)),
        password_label=escape(t(PASSWORD)),
        button=escape(t(BUTTON)),
        sso=sso,
        languages=languages,
    )


def _quoted(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="")
