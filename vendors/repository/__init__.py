"""SQL of vendor catalogs, one module per role. Every read or write of a vendor's data takes ``vendor_id`` and
filters by it. Callers import this package (``from vendors import repository as repo``).
"""

from vendors.repository.audience import *  # noqa: F403
from vendors.repository.categories import *  # noqa: F403
from vendors.repository.groups import *  # noqa: F403
from vendors.repository.offers import *  # noqa: F403
from vendors.repository.products import *  # noqa: F403
