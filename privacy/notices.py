"""The first version of each consent notice; later versions are written in admin."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from privacy.models import Purpose

FIRST_NOTICES = {
    Purpose.CONTENT_LOGGING: _(
        "Store my prompts and responses, encrypted, for up to 30 days so that Tokengate can "
        "troubleshoot problems and improve service quality. I can turn this off at any time, "
        "and what was stored is then deleted."
    ),
    Purpose.MARKETING_EMAILS: _(
        "Send me emails about product updates and new features. Every email has a one-click "
        "unsubscribe link."
    ),
    Purpose.FUNCTIONAL_COOKIES: _(
        "Remember my language, theme and default model in cookies on this browser."
    ),
    Purpose.ANALYTICS_COOKIES: _(
        "Help improve Tokengate with privacy-friendly, self-hosted analytics of page views and "
        "feature use, stored in cookies on this browser."
    ),
    Purpose.SALE_SHARING: _(
        "Tokengate does not sell or share personal information for advertising. This records "
        "my choice to opt out of any such sale or sharing in the future."
    ),
}
