"""RFQs and tenders: invitations, questions, quotes and sealed bids, evaluation, award, conversion to orders."""
