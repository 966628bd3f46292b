"""SQL of RFQs and bids, each statement above the typed function that runs it, split by role.

Every read of company data takes the company as an argument and has it in the WHERE clause. Bid
statements never touch the ``rfq`` row (no side channel through ``updated_at`` or ``version``).
"""

from rfq.repository.bids import *  # noqa: F403
from rfq.repository.dialogue import *  # noqa: F403
from rfq.repository.files import *  # noqa: F403
from rfq.repository.rfqs import *  # noqa: F403
