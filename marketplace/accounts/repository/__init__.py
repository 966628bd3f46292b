"""SQL of the accounts domain, one module per role. Every read of company data takes the company as a
keyword argument. Callers import this package (``from marketplace.accounts import repository as repo``).
"""

from marketplace.accounts.repository.companies import *  # noqa: F403
from marketplace.accounts.repository.credentials import *  # noqa: F403
from marketplace.accounts.repository.people import *  # noqa: F403
